import type { Command } from '../command.ts';
import { CliError, optionalInt, requireString } from '../command.ts';
import { withJobSession } from '../job-session.ts';
import { EXPORT_FORMATS, exportLabels, MANIFEST_FILE, type ExportFormat } from '../../pipeline/label/label-export.ts';
import { openExistingProject } from '../cluster-shared.ts';

const usage = 'spice-workbench export --project <dir> [--run <id>] --format csv|json|folders --out <path> [--symlink]';

export const exportCommand: Command = {
  name: 'export',
  usage,
  summary: 'Export final labels (corrections applied) as CSV, JSON, or one folder per class.',
  options: {
    project: { type: 'string' },
    run: { type: 'string' },
    format: { type: 'string' },
    out: { type: 'string' },
    symlink: { type: 'boolean' },
  },
  async run(args) {
    const dir = requireString(args, 'project', usage);
    const format = requireString(args, 'format', usage);
    if (!EXPORT_FORMATS.includes(format as ExportFormat)) throw new CliError(`--format must be csv, json or folders, got '${format}'`, 2);
    const out = requireString(args, 'out', usage);
    const runId = optionalInt(args, 'run');
    if (args.values.symlink && format !== 'folders') throw new CliError('--symlink only applies to --format folders', 2);

    const project = openExistingProject(dir, { readonly: 'auto' });
    return withJobSession(
      project,
      {
        cancelled: 'export cancelled: nothing was written',
      },
      async () => {
        const s = await exportLabels(project, { runId, format: format as ExportFormat, out, folderMode: args.values.symlink ? 'symlink' : 'copy' });
        const classes = Object.entries(s.perClass)
          .sort((a, b) => b[1] - a[1])
          .map(([c, n]) => `${c}=${n}`)
          .join(' ');
        console.log(`run ${s.runId}: ${s.images} images -> ${s.out}`);
        console.log(`classes: ${classes || '(no cluster is named yet)'}`);
        console.log(`labelled by a person: ${s.byPerson} (${s.corrected} against the model), without a class: ${s.unassigned}, outliers: ${s.outliers}`);
        if (s.format === 'folders') console.log(`folders: ${s.folders.length} (${s.folders.join(', ')}), with ${MANIFEST_FILE} mapping each file to its original`);
        if (s.missing.length > 0) {
          console.error(`warning: ${s.missing.length} originals could not be read:`);
          for (const m of s.missing.slice(0, 10)) console.error(`  ${m.path}: ${m.reason}`);
          return 1;
        }
        return 0;
      },
    );
  },
};
