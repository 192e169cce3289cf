import { existsSync } from 'node:fs';
import type { Command } from '../command.ts';
import { CliError, requireString } from '../command.ts';
import { openDatabase } from '../../db/connection.ts';
import { projectDbPath } from '../../app/project.ts';
import { projectStatus, type ProjectStatus } from '../../app/project-status.ts';

const usage = 'spice-workbench status --project <dir> [--json]';

export const statusCommand: Command = {
  name: 'status',
  usage,
  summary: 'Show what a project holds: images, duplicates, import errors, embeddings, runs.',
  options: { project: { type: 'string' }, json: { type: 'boolean' } },
  async run(args) {
    const dir = requireString(args, 'project', usage);
    const file = projectDbPath(dir);
    if (!existsSync(file)) throw new CliError(`no project at ${dir} (expected ${file})`);
    const db = openDatabase(file);
    try {
      const status = projectStatus(db);
      console.log(args.values.json ? JSON.stringify(status) : formatStatus(status));
      return 0;
    } finally {
      db.close();
    }
  },
};

function formatStatus(s: ProjectStatus): string {
  const lines = [
    `image folder: ${s.imageRoot ?? '(nothing imported yet)'}`,
    `images: ${s.images} (${s.labelledImages} with a folder label${s.labels.length ? `: ${s.labels.length} classes` : ''})`,
    `duplicates: ${s.duplicates}`,
    `import errors: ${s.errors.length}`,
    ...s.errors.slice(0, 20).map((e) => `  ${e.path}: ${e.reason}${e.detail ? ` (${e.detail})` : ''}`),
    ...(s.errors.length > 20 ? [`  ... and ${s.errors.length - 20} more (use --json for all)`] : []),
    'embeddings:',
    ...Object.entries(s.embeddings).map(([b, views]) => {
      const v = Object.entries(views).map(([view, n]) => `${view}=${n}`).join(' ');
      return `  ${b}: ${v || '(none)'}`;
    }),
    `runs: ${s.runs.length}`,
    ...s.runs.map((r) => `  #${r.id} ${r.method} k=${r.k} ${r.state} (${r.backbone})`),
  ];
  if (s.interruptedJobs.length) {
    lines.push('interrupted jobs (run the same command again to resume):');
    for (const j of s.interruptedJobs) lines.push(`  #${j.id} ${j.kind} ${j.done}/${j.total ?? '?'}`);
  }
  return lines.join('\n');
}
