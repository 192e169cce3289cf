import type { Command } from '../command.ts';
import { CliError, optionalInt, requireString } from '../command.ts';
import { withJobSession } from '../job-session.ts';
import { openProject } from '../../project/project.ts';
import { importFolder, type ImportSummary } from '../../pipeline/import/import-job.ts';

const usage = 'spice-workbench import <image-folder> --project <dir> [--labels-from-folders] [--max-pixels N]';
const EXAMPLES_PER_REASON = 5;

export const importCommand: Command = {
  name: 'import',
  usage,
  summary: 'Import a folder of images (recursively) into a project; rerun to add new files or resume.',
  options: {
    project: { type: 'string' },
    'labels-from-folders': { type: 'boolean' },
    'max-pixels': { type: 'string' },
  },
  async run(args) {
    const projectDir = requireString(args, 'project', usage);
    if (args.positionals.length !== 1) throw new CliError(`give exactly one image folder\nusage: ${usage}`, 2);
    const maxPixels = optionalInt(args, 'max-pixels');
    if (maxPixels !== undefined && maxPixels < 1) throw new CliError('--max-pixels must be at least 1', 2);

    const project = openProject(projectDir);
    return withJobSession(
      project,
      {
        cancelled: 'import cancelled: what was imported is kept; run the same command again to finish',
      },
      async () => {
        const summary = await importFolder(project, args.positionals[0], {
          labelsFromFolders: Boolean(args.values['labels-from-folders']),
          maxPixels,
        });
        console.log(formatSummary(summary));
        return 0;
      },
    );
  },
};

export function formatSummary(s: ImportSummary): string {
  const lines = [
    `imported ${s.folder}${s.folder === s.imageRoot ? '' : ` (image folder ${s.imageRoot})`}`,
    `  found           ${s.scanned}`,
    `  added           ${s.added}`,
    `  already present ${s.alreadyPresent}`,
    `  duplicates      ${s.duplicates}`,
    `  errors          ${s.errors.length}`,
  ];
  if (s.clearedErrors > 0) lines.push(`  (${s.clearedErrors} earlier errors dropped: those files are gone)`);
  const byReason = new Map<string, ImportSummary['errors']>();
  for (const e of s.errors) byReason.set(e.reason, [...(byReason.get(e.reason) ?? []), e]);
  for (const [reason, errors] of [...byReason].sort((a, b) => b[1].length - a[1].length)) {
    lines.push(`    ${reason}: ${errors.length}`);
    for (const e of errors.slice(0, EXAMPLES_PER_REASON)) lines.push(`      ${e.path}: ${e.detail}`);
    if (errors.length > EXAMPLES_PER_REASON) lines.push(`      ... and ${errors.length - EXAMPLES_PER_REASON} more (see \`spice-workbench status\`)`);
  }
  return lines.join('\n');
}
