// `embeddings merge`: adds the vectors of shard files (shard-file.ts) to a project. Rows find their
// image by content hash; the backbone is registered as embed would (same model, size, preprocessing)
// and must have the same weights (SHA-256) and settings as the shard says, and the views the same
// settings as any already stored. Idempotent: a vector already stored is kept, so merging a file twice,
// or after a kill part-way (each batch commits on its own), ends in the same state.
import type { Project } from '../../project/project.ts';
import { getViewSpecs, saveEmbeddingBatch, saveViewSpec, type EmbeddingRow } from '../../db/embeddings-repo.ts';
import type { JobContext } from '../../jobs/runner.ts';
import { resolveBackbone } from '../../models/resolve-backbone.ts';
import type { BackboneRecord } from '../../db/backbones-repo.ts';
import { imageHashes } from '../../db/images-repo.ts';
import { sameViewSpec } from './views.ts';
import { readShardHeader, readShardRows, ShardFileError, type ShardHeader } from './shard-file.ts';

const BATCH_ROWS = 1000;

export interface MergeFileResult {
  path: string;
  shard: string;
  rows: number;
  added: number;
  alreadyStored: number;
  /** Rows whose image (by content hash) is not in this project. */
  unknownImages: number;
}

export interface MergeSummary {
  backboneId: number;
  backboneName: string;
  files: MergeFileResult[];
  added: number;
}

export async function mergeShardFiles(project: Project, paths: readonly string[], options: { signal?: AbortSignal } = {}): Promise<MergeSummary> {
  if (paths.length === 0) throw new Error('give at least one shard file');
  return project.jobs.run('embed', { merge: [...paths] }, (ctx) => mergeInJob(project, paths, ctx), options.signal);
}

async function mergeInJob(project: Project, paths: readonly string[], ctx: JobContext): Promise<MergeSummary> {
  // Every header first: a file that does not fit is refused before anything is written.
  const headers = paths.map((path) => ({ path, header: readShardHeader(path).header }));
  const first = headers[0].header;
  for (const { path, header } of headers.slice(1)) {
    const problem = backboneDifference(first.backbone, header.backbone);
    if (problem) throw new ShardFileError(path, `made with other backbone settings than ${headers[0].path} (${problem})`);
  }
  const backbone = await resolveBackbone(project, first.backbone.model, {
    size: first.backbone.inputSize,
    mean: first.backbone.mean,
    std: first.backbone.std,
    name: first.backbone.name,
    signal: ctx.signal,
    log: (m, level) => ctx.log(m, level),
  });
  const problem = backboneDifference(first.backbone, { ...backbone, model: first.backbone.model });
  if (problem) throw new ShardFileError(headers[0].path, `does not fit this project's backbone ${backbone.name} (${problem})`);
  registerViews(project, backbone, headers);

  const imageOf = new Map<string, number>();
  for (const [id, sha256] of imageHashes(project.db)) imageOf.set(sha256, id);

  const total = headers.reduce((n, h) => n + h.header.rows, 0);
  ctx.stage(`merge ${paths.length} shard files`, total, 'vectors');
  const summary: MergeSummary = { backboneId: backbone.id, backboneName: backbone.name, files: [], added: 0 };
  let done = 0;
  for (const { path, header } of headers) {
    const result: MergeFileResult = { path, shard: `${header.shard.index}/${header.shard.count}`, rows: header.rows, added: 0, alreadyStored: 0, unknownImages: 0 };
    let batch: EmbeddingRow[] = [];
    const flush = async () => {
      const added = saveEmbeddingBatch(project.db, backbone.id, batch);
      result.added += added;
      result.alreadyStored += batch.length - added;
      done += batch.length;
      batch = [];
      ctx.progress(done);
      ctx.throwIfCancelled();
      await new Promise((r) => setImmediate(r));
    };
    for (const row of readShardRows(path)) {
      const imageId = imageOf.get(row.sha256);
      if (imageId === undefined) {
        result.unknownImages++;
        done++;
        continue;
      }
      batch.push({ imageId, view: row.view, vector: row.vector });
      if (batch.length === BATCH_ROWS) await flush();
    }
    if (batch.length > 0) await flush();
    if (result.unknownImages > 0) ctx.log(`${path}: ${result.unknownImages} vectors belong to images this project does not hold (skipped)`, 'warn');
    summary.files.push(result);
    summary.added += result.added;
  }
  ctx.log(`added ${summary.added} vectors of ${backbone.name} from ${paths.length} shard files`);
  return summary;
}

/** What differs between the settings two vector sets were made with; null when none. */
function backboneDifference(a: ShardHeader['backbone'], b: ShardHeader['backbone'] | BackboneRecord): string | null {
  const differences: string[] = [];
  if (a.sha256 !== null && b.sha256 !== null && a.sha256 !== b.sha256) differences.push(`weights ${a.sha256.slice(0, 12)} vs ${b.sha256.slice(0, 12)}`);
  if (a.inputSize !== b.inputSize) differences.push(`input ${a.inputSize} vs ${b.inputSize} px`);
  if (a.outputDim !== b.outputDim) differences.push(`${a.outputDim}-d vs ${b.outputDim}-d vectors`);
  if (a.channelOrder !== b.channelOrder || a.layout !== b.layout) differences.push(`${a.channelOrder}/${a.layout} vs ${b.channelOrder}/${b.layout}`);
  if (a.mean.some((v, i) => v !== b.mean[i]) || a.std.some((v, i) => v !== b.std[i])) differences.push('normalisation (mean/std)');
  return differences.length ? differences.join(', ') : null;
}

/** Stores the shards' view settings; a view already stored with other settings is refused. */
function registerViews(project: Project, backbone: BackboneRecord, headers: Array<{ path: string; header: ShardHeader }>): void {
  const stored = new Map(getViewSpecs(project.db, backbone.id).map((s) => [s.view, s]));
  for (const { path, header } of headers) {
    for (const view of header.views) {
      const known = stored.get(view.view);
      if (known && !sameViewSpec(known, view)) {
        throw new ShardFileError(
          path,
          `view ${view.view} was made with other settings (seed ${view.seed}) than this project's (seed ${known.seed}); embed the shards with the project's --seed`,
        );
      }
      stored.set(view.view, view);
    }
  }
  project.db
    .transaction(() => {
      for (const spec of stored.values()) saveViewSpec(project.db, backbone.id, spec);
    })
    .immediate();
}
