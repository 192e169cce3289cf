// Pieces the clustering commands (cluster, eval, export) share.
import { existsSync } from 'node:fs';
import { CliError } from './command.ts';
import { openProject, projectDbPath, type Project } from '../project/project.ts';

/**
 * Opens an existing project; a missing one is a user error, not a new empty project. Commands that
 * only read (status, eval, export elsewhere) pass readonly 'auto' so a project this user may not write
 * still opens, read-only.
 */
export function openExistingProject(dir: string, options: { readonly?: 'auto' } = {}): Project {
  if (!existsSync(projectDbPath(dir))) throw new CliError(`no project at ${dir} (expected ${projectDbPath(dir)})`);
  return openProject(dir, { readonly: options.readonly ?? false, create: false });
}

export function formatMetric(x: number): string {
  return (100 * x).toFixed(2);
}

/** Left-aligned text columns. */
export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, c) => cell.padEnd(widths[c]))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
