// Decode workers prepare the next batches while the backbone runs the current one.
import { availableParallelism } from 'node:os';
import { JobCancelledError } from '../../jobs/runner.ts';
import type { AugmentConfig } from './view-augment.ts';
import { decodeBatch, type DecodeItem, type DecodeRequest, type DecodeResult, type DecodeWorkerInit } from './decode-worker.ts';
import { l2NormaliseRows, type FeatureExtractor } from './backbone-extractor.ts';
import type { PreprocessSpec } from './preprocess.ts';
import { WorkerPool } from './worker-pool.ts';

export const DEFAULT_BATCH_SIZE = 32;

export interface BatchTiming {
  /** Time the loop waited for decoded input (0 when decoding keeps ahead). */
  waitMs: number;
  /** Backbone time for the batch. */
  inferMs: number;
  /** Time spent in onBatch (storing). */
  storeMs: number;
  /** Wall time a worker spent decoding this batch (overlapped with inference). */
  decodeMs: number;
}

export interface BatchOutcome {
  items: readonly DecodeItem[];
  /** items.length x dim, L2-normalised; rows of failed items are meaningless. */
  vectors: Float32Array;
  dim: number;
  failed: ReadonlyArray<{ index: number; reason: string }>;
  timing: Omit<BatchTiming, 'storeMs'>;
}

export interface PipelineOptions {
  extractor: FeatureExtractor;
  spec: PreprocessSpec;
  augment: AugmentConfig | null;
  seed: number;
  batchSize?: number;
  workers?: number;
  signal?: AbortSignal;
  onBatch(outcome: BatchOutcome): void | Promise<void>;
  /** Called after each batch with its timing, storing included. */
  onTiming?(timing: BatchTiming): void;
}

/** Decode workers to start: SPICE_EMBED_WORKERS, else one per core beyond the first, 1 to 4. */
export function defaultDecodeWorkers(): number {
  const env = Number(process.env.SPICE_EMBED_WORKERS);
  if (Number.isInteger(env) && env > 0) return env;
  return Math.max(1, Math.min(4, availableParallelism() - 1));
}

export async function runEmbeddingPipeline(items: readonly DecodeItem[], options: PipelineOptions): Promise<void> {
  if (items.length === 0) return;
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`batch size must be a positive integer, got ${batchSize}`);
  const { extractor, spec } = options;
  const batches: DecodeItem[][] = [];
  for (let i = 0; i < items.length; i += batchSize) batches.push(items.slice(i, i + batchSize));

  const workers = Math.min(options.workers ?? defaultDecodeWorkers(), batches.length);
  const init: DecodeWorkerInit = { spec, augment: options.augment, seed: options.seed, concurrency: 4 };
  const pool = new WorkerPool<DecodeRequest, DecodeResult>(new URL('./decode-worker.ts', import.meta.url), workers, { role: 'embed-decode', init });
  // Two requests per worker ahead of the one being embedded: enough to hide decoding behind inference.
  const depth = 2 * workers + 1;
  // Batches before `handedOut` are decoding in the pool (inflight) or were decoded on this thread.
  const inflight = new Map<number, Promise<DecodeResult>>();
  const spare: Float32Array[] = [];
  let handedOut = 0;
  const submit = () => {
    if (!pool.ready) return;
    while (handedOut < batches.length && inflight.size < depth) {
      const buffer = spare.pop();
      const p = pool.run({ items: batches[handedOut], buffer }, buffer ? [buffer.buffer as ArrayBuffer] : []);
      // Awaited in order below; this keeps a failure of a later batch from being reported as unhandled.
      p.catch(() => undefined);
      inflight.set(handedOut++, p);
    }
  };
  pool.onceReady(submit);
  try {
    for (let i = 0; i < batches.length; i++) {
      if (options.signal?.aborted) throw new JobCancelledError();
      // A worker that failed to start would otherwise leave every batch to this thread, silently.
      if (pool.error) throw pool.error;
      const batch = batches[i];
      const t0 = performance.now();
      // Until a worker has started (0.2-0.3 s), this thread decodes the next batch itself instead of
      // waiting idle; a short run (a few images to classify) may finish before any worker is up.
      const decoded = i < handedOut ? await inflight.get(i)! : (handedOut++, await decodeBatch(init, { items: batch, buffer: spare.pop() }));
      inflight.delete(i);
      const t1 = performance.now();
      submit();
      const n = batch.length;
      const vectors = l2NormaliseRows(await extractor.run(decoded.tensor, n), n, extractor.dim);
      const t2 = performance.now();
      await options.onBatch({
        items: batch,
        vectors,
        dim: extractor.dim,
        failed: decoded.failed,
        timing: { waitMs: t1 - t0, inferMs: t2 - t1, decodeMs: decoded.busyMs },
      });
      const t3 = performance.now();
      options.onTiming?.({ waitMs: t1 - t0, inferMs: t2 - t1, storeMs: t3 - t2, decodeMs: decoded.busyMs });
      if (decoded.tensor.byteOffset === 0) spare.push(new Float32Array(decoded.tensor.buffer as ArrayBuffer));
    }
  } finally {
    await pool.close();
  }
}
