import type { Command } from '../command.ts';
import { requireString } from '../command.ts';
import { quickCheck } from '../../db/connection.ts';
import { projectDbPath } from '../../project/project.ts';
import { projectStatus, type ProjectStatus } from '../../app/project-status.ts';
import { openExistingProject } from '../cluster-shared.ts';

const usage = 'spice-workbench status --project <dir> [--json] [--check]';
const SHOWN_PROBLEMS = 10;

export const statusCommand: Command = {
  name: 'status',
  usage,
  summary: 'Show what a project holds: images, duplicates, import errors, embeddings, runs; --check also checks the file for damage.',
  options: { project: { type: 'string' }, json: { type: 'boolean' }, check: { type: 'boolean' } },
  async run(args) {
    const dir = requireString(args, 'project', usage);
    const file = projectDbPath(dir);
    // Read-only where this user may not write; jobs and runs of dead processes are marked interrupted otherwise.
    const project = openExistingProject(dir, { readonly: 'auto' });
    try {
      // The check comes first: on a damaged file the summary below may not be readable at all.
      const problems = args.values.check ? quickCheck(project.db, 100) : null;
      if (problems && problems.length > 0) {
        if (args.values.json) console.log(JSON.stringify({ file, check: { ok: false, problems } }));
        else {
          console.error(
            `error: ${file} is damaged: PRAGMA quick_check found ${problems.length}${problems.length === 100 ? '+' : ''} problem${problems.length === 1 ? '' : 's'} (first: ${problems[0]}); restore it from a backup, or run \`sqlite3 ${file} .recover\` on a copy`,
          );
          for (const p of problems.slice(1, SHOWN_PROBLEMS)) console.error(`  ${p}`);
        }
        return 1;
      }
      const status = projectStatus(project.db);
      const extra = { readonly: project.readonly, ...(problems ? { check: { ok: true, problems: [] as string[] } } : {}) };
      if (args.values.json) console.log(JSON.stringify({ ...status, ...extra }));
      else {
        console.log(formatStatus(status));
        if (project.readonly) console.log('opened read-only: this user may not write the project');
        if (problems) console.log('check: ok (PRAGMA quick_check found no damage)');
      }
      return 0;
    } finally {
      project.close();
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
      const v = Object.entries(views)
        .map(([view, n]) => `${view}=${n}`)
        .join(' ');
      return `  ${b}: ${v || '(none)'}`;
    }),
    `runs: ${s.runs.length}`,
    ...s.runs.map((r) => `  #${r.id} ${r.method} k=${r.k} ${r.state} (${r.backbone})`),
    ...(s.defaultRun ? [`shown first: run #${s.defaultRun.id}${s.defaultRun.reason ? ` (${s.defaultRun.reason})` : ''}`] : []),
  ];
  if (s.interruptedJobs.length) {
    lines.push('interrupted jobs (run the same command again to resume):');
    for (const j of s.interruptedJobs) lines.push(`  #${j.id} ${j.kind} ${j.done}/${j.total ?? '?'}`);
  }
  return lines.join('\n');
}
