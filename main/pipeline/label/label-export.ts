// Exports the final labels of a run (person labels applied) as CSV, JSON, or ImageNet-style folders.
//
// - CSV: header `path,class,cluster,confidence,source`; path relative to the image folder. `class` is
//   `outlier` for an image a person marked as one, empty for an image without a class (its cluster is
//   unnamed). `cluster` and `confidence` are empty for an image the run did not see. `source` says who
//   gave the class: `person` (moved, accepted or imported label) or `model` (the run's cluster name).
// - JSON: { run, imageRoot, exportedAt, counts, images: [{ path, class, cluster, confidence, source, origin, corrected, outlier }] }.
// - folders: <out>/<class>/<file>; outliers in <out>/outlier/, unnamed clusters in
//   <out>/unassigned/cluster-<n>/, images the run did not see in <out>/unassigned/not-clustered/, and
//   <out>/manifest.csv (`file,source_path,class,source`) mapping each written file to its original.
//   Copies by default, symlinks on request.
// Every format is written all or nothing (export-files.ts): a scratch path, fsync, rename into place. A
// failure to write (full disk...) fails the export and leaves nothing at the target; an original that
// cannot be read is listed in `missing` and the rest is exported.
import { mkdir, readdir, stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import type { Project } from '../../project/project.ts';
import { csvRecord, csvText, type CsvCell } from '../../base/csv.ts';
import { OUTLIER_CLASS_NAME, RESERVED_CLASS_NAME } from '../../project/classes.ts';
import { finalLabels, type FinalLabel } from './final-labels.ts';
import { defaultRun } from '../cluster/default-run.ts';
import { getRun, type RunRecord } from '../../db/runs-repo.ts';
import { getBackboneById } from '../../db/backbones-repo.ts';
import { diskIo, errorCode, SourceReadError, writeFileAtomically, writeFolderAtomically, type ExportIo } from './export-files.ts';
import { InputError } from '../../base/errors.ts';
import { JobCancelledError } from '../../jobs/runner.ts';

export type ExportFormat = 'csv' | 'json' | 'folders';
export const EXPORT_FORMATS: readonly ExportFormat[] = ['csv', 'json', 'folders'];
export const CSV_HEADER = csvRecord(['path', 'class', 'cluster', 'confidence', 'source']);
export const MANIFEST_FILE = 'manifest.csv';
export const MANIFEST_HEADER = csvRecord(['file', 'source_path', 'class', 'source']);

export interface ExportOptions {
  /** Default: the project's default run (default-run.ts); an unfinished run is refused. */
  runId?: number;
  format: ExportFormat;
  /** File (csv, json) or folder (folders). */
  out: string;
  /** folders only: copy files (default) or make symlinks to the originals. */
  folderMode?: 'copy' | 'symlink';
  signal?: AbortSignal;
  /** The disk operations (default the real disk; tests make it fail). */
  io?: ExportIo;
}

export interface ExportSummary {
  runId: number;
  format: ExportFormat;
  out: string;
  images: number;
  perClass: Record<string, number>;
  /** Images without a class: unnamed cluster or not in the run. */
  unassigned: number;
  outliers: number;
  corrected: number;
  /** Images whose class comes from a person. */
  byPerson: number;
  /** folders only: top-level folders written (classes, `outlier`, `unassigned`). */
  folders: string[];
  /** folders only: originals that could not be read, with the reason. */
  missing: Array<{ path: string; reason: string }>;
}

export class ExportError extends InputError {
  constructor(message: string) {
    super(message);
    this.name = 'ExportError';
  }
}

export function chooseExportRun(project: Project, runId?: number): RunRecord {
  const run = runId === undefined ? defaultRun(project.db) : getRun(project.db, runId);
  if (!run)
    throw new ExportError(runId === undefined ? 'this project has no finished clustering run yet: run `spice-workbench cluster` first' : `there is no run ${runId}`);
  if (run.state !== 'done')
    throw new ExportError(`run ${run.id} is ${run.state}, not finished: its labels are incomplete; export a finished run (spice-workbench status lists them)`);
  return run;
}

export async function exportLabels(project: Project, options: ExportOptions): Promise<ExportSummary> {
  if (!EXPORT_FORMATS.includes(options.format)) throw new ExportError(`unknown export format '${options.format}' (csv, json or folders)`);
  const run = chooseExportRun(project, options.runId);
  const out = resolve(options.out);
  await checkTarget(out, options.format);
  const params = { runId: run.id, format: options.format, out, folderMode: options.folderMode ?? 'copy' };
  return project.jobs.run(
    'export',
    params,
    async (ctx) => {
      ctx.stage('final labels', null, 'images');
      const labels = finalLabels(project.db, run.id);
      ctx.progress(labels.length);
      const summary = summarize(run.id, options.format, out, labels);
      const io = options.io ?? diskIo;
      if (options.format === 'csv') await writeOrExplain(out, () => writeFileAtomically(out, renderCsv(labels), io));
      else if (options.format === 'json') await writeOrExplain(out, () => writeFileAtomically(out, renderJson(project, run, labels, summary), io));
      else {
        const root = project.imageRoot();
        if (root === null) throw new ExportError('the project has no image folder yet: import images first');
        ctx.stage('write folders', labels.length, 'images');
        const onProgress = (done: number) => {
          ctx.throwIfCancelled();
          ctx.progress(done);
        };
        const written = await writeOrExplain(out, () => writeFolders(root, out, labels, params.folderMode, onProgress, io));
        summary.missing = written.missing;
        summary.folders = written.folders;
        if (summary.missing.length > 0)
          ctx.log(`${summary.missing.length} originals could not be read (first: ${summary.missing[0].path}: ${summary.missing[0].reason})`, 'warn');
      }
      ctx.log(`exported ${labels.length} images of run ${run.id} to ${out}`);
      return summary;
    },
    options.signal,
  );
}

function summarize(runId: number, format: ExportFormat, out: string, labels: readonly FinalLabel[]): ExportSummary {
  const perClass: Record<string, number> = {};
  let unassigned = 0;
  let outliers = 0;
  let corrected = 0;
  let byPerson = 0;
  for (const l of labels) {
    if (l.corrected) corrected++;
    if (l.source === 'person') byPerson++;
    if (l.outlier) outliers++;
    else if (l.className === null) unassigned++;
    else perClass[l.className] = (perClass[l.className] ?? 0) + 1;
  }
  return { runId, format, out, images: labels.length, perClass, unassigned, outliers, corrected, byPerson, folders: [], missing: [] };
}

export function renderCsv(labels: readonly FinalLabel[]): string {
  const rows = labels.map((l): CsvCell[] => [l.relPath, csvClass(l), l.cluster, roundConfidence(l.confidence), l.source]);
  return `${CSV_HEADER}\n${csvText(rows)}`;
}

/** The class column: the class, `outlier` for a person's outlier, empty without a class. */
function csvClass(l: FinalLabel): string {
  return l.outlier ? OUTLIER_CLASS_NAME : (l.className ?? '');
}

function roundConfidence(c: number | null): number | null {
  return c === null ? null : Math.round(c * 1e6) / 1e6;
}

export function renderJson(project: Project, run: RunRecord, labels: readonly FinalLabel[], summary: ExportSummary): string {
  const backbone = getBackboneById(project.db, run.backboneId)?.name;
  const doc = {
    run: { id: run.id, method: run.method, k: run.k, seed: run.seed, backbone: backbone ?? null, state: run.state, createdAt: run.createdAt, finishedAt: run.finishedAt },
    imageRoot: project.imageRoot(),
    exportedAt: new Date().toISOString(),
    counts: {
      images: summary.images,
      perClass: summary.perClass,
      unassigned: summary.unassigned,
      outliers: summary.outliers,
      corrected: summary.corrected,
      byPerson: summary.byPerson,
    },
    images: labels.map((l) => ({
      path: l.relPath,
      class: l.className,
      cluster: l.cluster,
      confidence: l.confidence === null ? null : Math.round(l.confidence * 1e6) / 1e6,
      source: l.source,
      origin: l.origin,
      corrected: l.corrected,
      outlier: l.outlier,
    })),
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

/** Folder (relative to the export root) an image goes to. */
export function folderFor(l: FinalLabel): string {
  if (l.outlier) return OUTLIER_CLASS_NAME;
  if (l.className !== null) return safeFolderName(l.className);
  if (l.cluster === null) return `${RESERVED_CLASS_NAME}/not-clustered`;
  return `${RESERVED_CLASS_NAME}/cluster-${l.cluster}`;
}

/** Class names are checked when created; this only guards against rows written by other means. */
function safeFolderName(name: string): string {
  // eslint-disable-next-line no-control-regex
  const cleaned = name.replace(/[/\\\u0000-\u001f\u007f]/g, '_').trim();
  return cleaned === '' || cleaned === '.' || cleaned === '..' ? '_' : cleaned;
}

async function checkTarget(out: string, format: ExportFormat): Promise<void> {
  if (format === 'folders') {
    if (existsSync(out)) {
      const s = await stat(out);
      if (!s.isDirectory()) throw new ExportError(`${out} exists and is not a folder`);
      if ((await readdir(out)).length > 0) throw new ExportError(`${out} is not empty: choose a new or empty folder`);
    }
  } else {
    if (existsSync(out) && (await stat(out)).isDirectory()) throw new ExportError(`${out} is a folder: give a file name for the ${format.toUpperCase()} export`);
  }
  if (!existsSync(dirname(out))) throw new ExportError(`folder ${dirname(out)} does not exist`);
}

/** A write failure becomes an ExportError that says nothing was left at the target. */
async function writeOrExplain<T>(out: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if (err instanceof ExportError || err instanceof JobCancelledError) throw err;
    const code = errorCode(err);
    const why = code === 'ENOSPC' ? 'the disk is full' : code === 'EDQUOT' ? 'the disk quota is used up' : code === 'EROFS' ? 'the target is read-only' : code;
    throw new ExportError(`writing the export to ${out} failed (${why}): nothing was left there; free space or choose another place and export again`);
  }
}

async function writeFolders(
  root: string,
  out: string,
  labels: readonly FinalLabel[],
  mode: 'copy' | 'symlink',
  onProgress: (done: number) => void,
  io: ExportIo,
): Promise<{ missing: Array<{ path: string; reason: string }>; folders: string[] }> {
  return writeFolderAtomically(
    out,
    async (scratch) => {
      const missing: Array<{ path: string; reason: string }> = [];
      const used = new Set<string>();
      const made = new Set<string>();
      const files: string[] = [];
      const manifest = [MANIFEST_HEADER];
      for (let i = 0; i < labels.length; i++) {
        const l = labels[i];
        const folder = folderFor(l);
        if (!made.has(folder)) {
          await mkdir(join(scratch, folder), { recursive: true });
          made.add(folder);
        }
        const source = join(root, ...l.relPath.split('/'));
        const name = uniqueName(folder, l, used);
        const target = join(scratch, folder, name);
        try {
          if (mode === 'symlink') await io.symlink(source, target);
          else {
            await io.copyFile(source, target);
            files.push(target);
          }
          manifest.push(csvRecord([`${folder}/${name}`, l.relPath, csvClass(l), l.source]));
        } catch (err) {
          // Only an original that cannot be read is skipped; a failure to write fails the export.
          if (!(err instanceof SourceReadError)) throw err;
          missing.push({ path: l.relPath, reason: err.code });
        }
        if (i % 50 === 49 || i === labels.length - 1) onProgress(i + 1);
      }
      const manifestFile = join(scratch, MANIFEST_FILE);
      await io.writeFile(manifestFile, `${manifest.join('\n')}\n`);
      files.push(manifestFile);
      const folderPaths = [...made].flatMap((f) => f.split('/').map((_, k, parts) => join(scratch, ...parts.slice(0, k + 1))));
      const folders = [...new Set([...made].map((f) => f.split('/')[0]))].sort();
      return { result: { missing, folders }, files, folders: [...new Set(folderPaths)] };
    },
    io,
  );
}

/** The original file name; on a clash inside one folder the image id goes before the extension. */
function uniqueName(folder: string, l: FinalLabel, used: Set<string>): string {
  const name = basename(l.relPath);
  let candidate = name;
  if (used.has(`${folder}/${candidate}`.toLowerCase())) {
    const ext = extname(name);
    candidate = `${name.slice(0, name.length - ext.length)}-${l.imageId}${ext}`;
  }
  used.add(`${folder}/${candidate}`.toLowerCase());
  return candidate;
}
