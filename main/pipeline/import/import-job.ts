import { availableParallelism } from 'node:os';
import type { Project } from '../../project/project.ts';
import type { JobContext } from '../../jobs/runner.ts';
import { DEFAULT_MAX_PIXELS } from './inspect.ts';
import { OrderedBatcher } from './ordered-batcher.ts';
import { folderLabel, ImportInputError, resolveImportFolder, toRelPath } from './paths.ts';
import { forEachWithConcurrency } from './pool.ts';
import { processFile, type FileOutcome, type PendingFile } from './process-file.ts';
import type { ImportErrorReason } from './reasons.ts';
import { ImportStore, type CommitResult } from './image-records.ts';
import { walkImageFolder } from './walk.ts';

export { imageAbsolutePath, ImportInputError } from './paths.ts';
export { DEFAULT_MAX_PIXELS } from './inspect.ts';
export { IMAGE_EXTENSIONS } from './extensions.ts';
export { THUMBNAIL_MAX_SIDE, THUMBNAIL_MIME } from './thumbnail.ts';
export type { ImportErrorReason } from './reasons.ts';

export interface ImportOptions {
  /** Store each image's parent folder name as its ground-truth label. */
  labelsFromFolders?: boolean;
  /** Images with more pixels than this are refused ('too many pixels'). Default 100 megapixels. */
  maxPixels?: number;
  signal?: AbortSignal;
  /** Files read and decoded at once. */
  concurrency?: number;
  /** Files per committed transaction. */
  batchSize?: number;
}

export interface ImportSummary {
  /** Real path of the imported folder. */
  folder: string;
  imageRoot: string;
  /** Image-named entries met: files plus the links and special files the walk could not take in. */
  scanned: number;
  added: number;
  alreadyPresent: number;
  duplicates: number;
  /** Everything not imported, other than duplicates; also stored in import_errors. */
  errors: Array<{ path: string; reason: ImportErrorReason; detail: string }>;
  /** Error rows of earlier imports dropped because their file is gone from the folder. */
  clearedErrors: number;
}

const DEFAULT_BATCH_SIZE = 64;
const MAX_COMMIT_DELAY_MS = 500;

/**
 * Imports the images under `folder` into the project, as job 'import'. Idempotent: paths already
 * stored are skipped without decoding, earlier failures are retried, so rerunning after a kill or a
 * cancel finishes the work with nothing lost or doubled.
 */
export async function importFolder(project: Project, folder: string, options: ImportOptions = {}): Promise<ImportSummary> {
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  if (!(Number.isFinite(maxPixels) && maxPixels >= 1)) throw new ImportInputError(`maxPixels must be a positive number, got ${maxPixels}`);
  const { folder: realFolder, root } = resolveImportFolder(project, folder);
  const labelsFromFolders = options.labelsFromFolders ?? false;
  const params = { folder: realFolder, labelsFromFolders, maxPixels };
  return project.jobs.run('import', params, (ctx) => runImport(ctx, project, realFolder, root, { ...options, labelsFromFolders, maxPixels }), options.signal);
}

async function runImport(
  ctx: JobContext,
  project: Project,
  folder: string,
  root: string,
  options: ImportOptions & { labelsFromFolders: boolean; maxPixels: number },
): Promise<ImportSummary> {
  const store = new ImportStore(project.db);
  const summary: ImportSummary = { folder, imageRoot: root, scanned: 0, added: 0, alreadyPresent: 0, duplicates: 0, errors: [], clearedErrors: 0 };
  const tally = (results: CommitResult[]) => {
    for (const r of results) {
      if (r.kind === 'added') summary.added++;
      else if (r.kind === 'already present') summary.alreadyPresent++;
      else if (r.kind === 'duplicate') summary.duplicates++;
      else summary.errors.push({ path: r.relPath, reason: r.reason, detail: r.detail });
    }
  };

  ctx.stage('scan', null, 'files');
  const walk = await walkImageFolder(folder, { signal: ctx.signal, onProgress: (n) => ctx.progress(n) });
  ctx.throwIfCancelled();
  summary.scanned = walk.files.length + walk.problems.length;
  const problems = walk.problems.map((p): FileOutcome => ({ kind: 'failed', relPath: toRelPath(root, p.path), reason: p.reason, detail: p.detail }));
  const pending: PendingFile[] = [];
  for (const f of walk.files) {
    const relPath = toRelPath(root, f.path);
    if (store.hasImage(relPath)) summary.alreadyPresent++;
    else pending.push({ path: f.path, relPath, label: options.labelsFromFolders ? folderLabel(f.path) : null });
  }
  const found = new Set([...problems, ...pending].map((x) => x.relPath));
  summary.clearedErrors = store.clearVanishedErrors(toRelPath(root, folder), found);
  tally(store.commit(problems));
  ctx.log(`${walk.files.length} image files found, ${summary.alreadyPresent} already in the project, ${pending.length} to import`);

  ctx.stage('import', pending.length, 'files');
  const batcher = new OrderedBatcher<FileOutcome>((rows) => tally(store.commit(rows)), {
    maxRows: options.batchSize ?? DEFAULT_BATCH_SIZE,
    maxDelayMs: MAX_COMMIT_DELAY_MS,
  });
  const deps = { maxPixels: options.maxPixels, findImageByHash: (sha: string) => store.findImageByHash(sha) };
  let processed = 0;
  await forEachWithConcurrency(
    pending,
    options.concurrency ?? defaultConcurrency(),
    async (file, index) => {
      batcher.put(index, await processFile(file, deps));
      processed++;
      ctx.progress(processed, `${summary.added} added, ${summary.duplicates} duplicates, ${summary.errors.length} errors`);
    },
    ctx.signal,
  );
  // Whatever finished before a cancel is kept; the rerun carries on from there.
  batcher.finish();
  ctx.progress(processed, `${summary.added} added, ${summary.duplicates} duplicates, ${summary.errors.length} errors`);
  ctx.throwIfCancelled();
  return summary;
}

/** Reads and decodes overlap: a few files per core keep both the disk and libvips busy. */
function defaultConcurrency(): number {
  return Math.max(2, availableParallelism()) * 2;
}
