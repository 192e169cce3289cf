// export.*: final labels (person labels applied) as a file the renderer saves, or as class folders.
// Both run the export stage as a job, so every export is recorded and leaves a copy in
// <project>/exports/<timestamp>/.
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ExportApi, FoldersExport, LabelsExport } from '../../../preload/contract/api.ts';
import { exportLabels } from '../../pipeline/label/label-export.ts';
import { requireRun } from './clusters.ts';
import type { ServiceContext } from './context.ts';

const MIME = { csv: 'text/csv', json: 'application/json' } as const;

export function createExportService(ctx: ServiceContext): ExportApi {
  const { session } = ctx;
  return {
    async labels({ runId, format }): Promise<LabelsExport> {
      const project = session.requireProject();
      requireRun(project.db, runId);
      const dir = exportsFolder(project.dir);
      mkdirSync(dir, { recursive: true });
      const fileName = `labels-run${runId}.${format}`;
      const summary = await exportLabels(project, { runId, format, out: join(dir, fileName) });
      return { fileName, mime: MIME[format], content: readFileSync(summary.out, 'utf8'), rows: summary.images };
    },

    async folders({ runId, mode }): Promise<FoldersExport | null> {
      const project = session.requireProject();
      requireRun(project.db, runId);
      const suggested = exportsFolder(project.dir);
      let out = suggested;
      if (ctx.host.chooseExportFolder) {
        const chosen = await ctx.host.chooseExportFolder(suggested);
        if (chosen === null) return null;
        out = chosen;
      } else {
        mkdirSync(join(project.dir, 'exports'), { recursive: true });
      }
      const summary = await exportLabels(project, { runId, format: 'folders', out, folderMode: mode === 'link' ? 'symlink' : 'copy' });
      const classes = Object.keys(summary.perClass).length;
      return { dir: summary.out, files: summary.images - summary.missing.length, classes, folders: summary.folders, skipped: summary.missing.length, mode };
    },
  };
}

/** <project>/exports/<local time, no colons so it is a valid name everywhere>. */
function exportsFolder(projectDir: string): string {
  const d = new Date();
  const pad = (n: number) => String(n).padStart(2, '0');
  const stamp = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}_${pad(d.getHours())}-${pad(d.getMinutes())}-${pad(d.getSeconds())}`;
  return join(projectDir, 'exports', stamp);
}
