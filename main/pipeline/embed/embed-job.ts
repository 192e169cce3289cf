// The embedding stage: every image (and its augmented views) through a frozen backbone, stored per
// (backbone, view, image). Idempotent: only missing vectors are computed, and each batch commits in one
// transaction, so a killed run resumes with nothing lost and nothing duplicated.
import type { Project } from '../../project/project.ts';
import { DEFAULT_SEED } from '../../base/random.ts';
import { imageAbsolutePath } from '../import/import-job.ts';
import { deleteEmbeddings, getViewSpecs, imagesMissingView, saveEmbeddingBatch, saveViewSpec, type EmbeddingRow } from '../../db/embeddings-repo.ts';
import type { JobContext } from '../../jobs/runner.ts';
import type { ProviderPreference } from '../../ml/onnx.ts';
import { resolveBackbone } from '../../models/resolve-backbone.ts';
import type { BackboneRecord } from '../../db/backbones-repo.ts';
import { countImages } from '../../db/images-repo.ts';
import type { Triple } from '../../models/registry.ts';
import type { AugmentConfig } from './view-augment.ts';
import { runEmbeddingPipeline, type BatchTiming } from './batch-pipeline.ts';
import type { DecodeItem } from './decode-worker.ts';
import { createExtractor } from './backbone-extractor.ts';
import { meanPixel, type PreprocessSpec } from './preprocess.ts';
import { shardImageIds, validateShard, type Shard } from './shard.ts';
import { planViews, sameViewSpec, validateViewCounts, type ViewCounts } from './views.ts';

export type { ViewCounts } from './views.ts';
export type { FeatureExtractor } from './backbone-extractor.ts';
export { createExtractor } from './backbone-extractor.ts';

export interface EmbedOptions {
  /** Registry name, path to an .onnx file, or project:<name>. */
  backbone: string;
  /** Input size in pixels; default chosen from the model and the images. */
  size?: number;
  /** Augmented (weak, strong) and fixed views besides 'plain'; default none. */
  views?: ViewCounts;
  /** Seeds the augmented views; default 0. */
  seed?: number;
  batchSize?: number;
  signal?: AbortSignal;
  /** Delete stored vectors made with other settings instead of refusing to mix them. */
  replace?: boolean;
  /** Preprocessing of a model file without a JSON beside it. */
  mean?: Triple;
  std?: Triple;
  /** Name to add a model file under. */
  name?: string;
  workers?: number;
  provider?: ProviderPreference;
  onTiming?: (timing: BatchTiming) => void;
  /** Embed only this share of the images (by content hash; shard.ts). */
  shard?: Shard;
  /** Read the images from here instead of the project's image root (the same folder, mounted elsewhere). */
  imageRoot?: string;
}

export interface EmbedFailure {
  imageId: number;
  path: string;
  view: string;
  reason: string;
}

export interface EmbedSummary {
  backboneId: number;
  backboneName: string;
  inputSize: number;
  /** Execution provider, or null when nothing needed computing. */
  provider: string | null;
  views: string[];
  /** Vectors computed and stored by this run. */
  computed: number;
  /** Vectors that were already stored. */
  alreadyPresent: number;
  failed: EmbedFailure[];
  seconds: number;
  /** Vectors per second over the embedding stage. */
  rate: number;
}

let lastProvider: string | null = null;

/** Execution provider of the most recent extractor, for the app's info panel. */
export function activeExecutionProvider(): string | null {
  return lastProvider;
}

export async function embedProject(project: Project, options: EmbedOptions): Promise<EmbedSummary> {
  const views = options.views ?? { weak: 0, strong: 0, fixed: 0 };
  validateViewCounts(views);
  const seed = options.seed ?? DEFAULT_SEED;
  if (!Number.isInteger(seed) || seed < 0 || seed > 0x7fffffff) throw new Error(`seed must be an integer from 0 to 2147483647, got ${seed}`);
  if (options.shard) validateShard(options.shard);
  const params = { backbone: options.backbone, size: options.size ?? null, views, seed, ...(options.shard ? { shard: options.shard } : {}) };
  return project.jobs.run('embed', params, (ctx) => embedInJob(project, { ...options, views, seed }, ctx), options.signal);
}

async function embedInJob(project: Project, options: EmbedOptions & { views: ViewCounts; seed: number }, ctx: JobContext): Promise<EmbedSummary> {
  const db = project.db;
  let downloading = false;
  const backbone = await resolveBackbone(project, options.backbone, {
    size: options.size,
    mean: options.mean,
    std: options.std,
    name: options.name,
    replace: options.replace,
    signal: ctx.signal,
    log: (m, level) => ctx.log(m, level),
    onProgress: (p) => {
      if (!downloading) {
        downloading = true;
        ctx.stage('download', p.totalBytes, 'bytes');
      }
      ctx.progress(p.bytes);
    },
  });
  ctx.throwIfCancelled();
  const summary: EmbedSummary = {
    backboneId: backbone.id,
    backboneName: backbone.name,
    inputSize: backbone.inputSize,
    provider: null,
    views: [],
    computed: 0,
    alreadyPresent: 0,
    failed: [],
    seconds: 0,
    rate: 0,
  };

  const spec = preprocessSpec(backbone);
  const fill = meanPixel(spec);
  const plan = planViews(options.views, options.seed, backbone.inputSize, fill);
  summary.views = plan.views.map((v) => v.view);
  reconcileViewSpecs(project, backbone, plan.views, options.replace ?? false, ctx);

  const share = options.shard ? shardImageIds(db, options.shard) : null;
  const imageCount = share ? share.size : countImages(db);
  if (imageCount === 0) {
    ctx.log(
      share ? `shard ${options.shard!.index}/${options.shard!.count} holds none of the images: nothing to embed` : 'the project has no images yet: nothing to embed',
      'warn',
    );
    return summary;
  }
  if (share) ctx.log(`shard ${options.shard!.index}/${options.shard!.count}: ${share.size} images`);
  const items: Array<DecodeItem & { order: number }> = [];
  for (const v of plan.views) {
    for (const img of imagesMissingView(db, backbone.id, v.view)) {
      if (share && !share.has(img.id)) continue;
      items.push({
        path: imageAbsolutePath(project, img.relPath, options.imageRoot),
        imageId: img.id,
        view: v.view,
        order: v.order,
        size: { width: img.width, height: img.height },
      });
    }
  }
  // Views of one image side by side: a worker decodes the source once for all of them.
  items.sort((a, b) => a.imageId - b.imageId || a.order - b.order);
  summary.alreadyPresent = imageCount * plan.views.length - items.length;
  if (items.length === 0) {
    ctx.log(`all ${summary.alreadyPresent} vectors of ${backbone.name} (${summary.views.length} views) are already stored`);
    return summary;
  }

  // Only weak and strong views need augmentation settings; plain and fixed views take none.
  const augment: AugmentConfig | null = options.views.weak + options.views.strong > 0 ? { weak: plan.weak, strong: plan.strong, fill } : null;
  const extractor = await createExtractor(project, backbone, { log: (m, level) => ctx.log(m, level), provider: options.provider, signal: ctx.signal });
  lastProvider = extractor.provider;
  summary.provider = extractor.provider;
  const unit = plan.views.length > 1 ? 'views' : 'images';
  ctx.log(
    `embedding ${items.length} ${unit} with ${backbone.name} at ${backbone.inputSize} px on ${extractor.provider}` +
      (summary.alreadyPresent ? ` (${summary.alreadyPresent} already stored)` : ''),
  );
  ctx.stage(`${backbone.name} ${backbone.inputSize}px`, items.length, unit);
  const started = performance.now();
  let done = 0;
  try {
    await runEmbeddingPipeline(items, {
      extractor,
      spec,
      augment,
      seed: options.seed,
      batchSize: options.batchSize,
      workers: options.workers,
      signal: ctx.signal,
      onTiming: options.onTiming,
      onBatch: (o) => {
        const bad = new Set(o.failed.map((f) => f.index));
        const rows: EmbeddingRow[] = [];
        o.items.forEach((item, i) => {
          if (!bad.has(i)) rows.push({ imageId: item.imageId, view: item.view, vector: o.vectors.subarray(i * o.dim, (i + 1) * o.dim) });
        });
        summary.computed += saveEmbeddingBatch(db, backbone.id, rows);
        for (const f of o.failed) {
          const item = o.items[f.index];
          summary.failed.push({ imageId: item.imageId, path: item.path, view: item.view, reason: f.reason });
          if (summary.failed.length <= 20) ctx.log(`cannot embed ${item.path} (${item.view}): ${f.reason}`, 'warn');
        }
        done += o.items.length;
        ctx.progress(done);
      },
    });
  } finally {
    await extractor.close();
  }
  summary.seconds = (performance.now() - started) / 1000;
  summary.rate = summary.seconds > 0 ? done / summary.seconds : 0;
  if (summary.failed.length > 20) ctx.log(`${summary.failed.length} vectors could not be computed in all (first 20 listed above)`, 'warn');
  ctx.log(`stored ${summary.computed} vectors in ${summary.seconds.toFixed(1)} s (${summary.rate.toFixed(1)}/s)`);
  return summary;
}

/**
 * Records the spec of every planned view. A view already stored with other settings (seed, size,
 * augmentation) is replaced when asked, else refused: its old vectors must not mix with new ones.
 */
function reconcileViewSpecs(project: Project, backbone: BackboneRecord, planned: ReturnType<typeof planViews>['views'], replace: boolean, ctx: JobContext): void {
  const db = project.db;
  const stored = new Map(getViewSpecs(db, backbone.id).map((s) => [s.view, s]));
  const conflicts = planned.filter((p) => {
    const s = stored.get(p.view);
    return s !== undefined && !sameViewSpec(s, p);
  });
  if (conflicts.length > 0) {
    const first = stored.get(conflicts[0].view)!;
    const what = conflicts.map((c) => c.view).join(', ');
    if (!replace) {
      throw new Error(
        `views ${what} of ${backbone.name} were computed with other settings (seed ${first.seed}, ${first.inputSize} px); ` +
          `rerun with the same --seed, or with --replace to recompute them`,
      );
    }
    const n = deleteEmbeddings(
      db,
      backbone.id,
      conflicts.map((c) => c.view),
    );
    ctx.log(`deleted ${n} vectors of views ${what} made with other settings`, 'warn');
  }
  db.transaction(() => {
    for (const p of planned) saveViewSpec(db, backbone.id, { view: p.view, kind: p.kind, seed: p.seed, inputSize: p.inputSize, params: p.params });
  }).immediate();
}

export function preprocessSpec(backbone: BackboneRecord): PreprocessSpec {
  return { size: backbone.inputSize, mean: backbone.mean, std: backbone.std, channelOrder: backbone.channelOrder, layout: backbone.layout };
}

export interface EmbedFilesResult {
  /** absPaths.length x dim, L2-normalised, in input order; the row of a file that failed is zeros. */
  data: Float32Array;
  dim: number;
  /** ok[i] is false when absPaths[i] could not be embedded (see errors). */
  ok: boolean[];
  errors: Array<{ path: string; reason: string }>;
}

/** Plain-view vectors of arbitrary image files (e.g. new images to classify); nothing is stored. */
export async function embedFiles(
  project: Project,
  backbone: BackboneRecord,
  absPaths: readonly string[],
  options: { signal?: AbortSignal; batchSize?: number; workers?: number; onProgress?: (done: number, total: number) => void } = {},
): Promise<EmbedFilesResult> {
  const ok = absPaths.map(() => true);
  const errors: EmbedFilesResult['errors'] = [];
  if (absPaths.length === 0) return { data: new Float32Array(0), dim: backbone.outputDim, ok, errors };
  const extractor = await createExtractor(project, backbone, { signal: options.signal });
  lastProvider = extractor.provider;
  const dim = extractor.dim;
  const data = new Float32Array(absPaths.length * dim);
  const items: DecodeItem[] = absPaths.map((path, i) => ({ path, imageId: i, view: 'plain' }));
  let done = 0;
  try {
    await runEmbeddingPipeline(items, {
      extractor,
      spec: preprocessSpec(backbone),
      augment: null,
      seed: DEFAULT_SEED,
      batchSize: options.batchSize,
      workers: options.workers ?? Math.min(2, Math.ceil(absPaths.length / 64)),
      signal: options.signal,
      onBatch: (o) => {
        const bad = new Set(o.failed.map((f) => f.index));
        o.items.forEach((item, i) => {
          if (bad.has(i)) return;
          data.set(o.vectors.subarray(i * dim, (i + 1) * dim), item.imageId * dim);
        });
        for (const f of o.failed) {
          const idx = o.items[f.index].imageId;
          ok[idx] = false;
          errors.push({ path: absPaths[idx], reason: f.reason });
        }
        done += o.items.length;
        options.onProgress?.(done, absPaths.length);
      },
    });
  } finally {
    await extractor.close();
  }
  return { data, dim, ok, errors };
}
