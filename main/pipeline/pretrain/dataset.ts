// The project's images, decoded once at the training size and held in memory as 8-bit RGB, with the
// per-channel mean and standard deviation used to normalise them.
import type { Project } from '../../project/project.ts';
import { imageAbsolutePath } from '../import/import-job.ts';
import { forEachWithConcurrency } from '../import/pool.ts';
import { countImages, imagePaths } from '../../db/images-repo.ts';
import { decodeResized } from '../embed/preprocess.ts';
import type { RgbView, Triple } from '../../ml/moco/train-augment.ts';

export interface TrainingImages {
  /** Image ids in the order of `pixels`. */
  ids: number[];
  size: number;
  /** ids.length x size x size x 3 bytes. */
  pixels: Uint8Array;
  /** Images that could not be read now (moved, deleted, damaged since import). */
  skipped: Array<{ id: number; path: string; reason: string }>;
}

export interface LoadOptions {
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
  concurrency?: number;
}

export function countProjectImages(project: Project): number {
  return countImages(project.db);
}

/** Decodes every image of the project, stretched to size x size (as the embedding stage does). */
export async function loadTrainingImages(project: Project, size: number, options: LoadOptions = {}): Promise<TrainingImages> {
  const rows = imagePaths(project.db);
  const per = size * size * 3;
  const pixels = new Uint8Array(rows.length * per);
  const ok = new Uint8Array(rows.length);
  const skipped: TrainingImages['skipped'] = [];
  let done = 0;
  await forEachWithConcurrency(
    rows,
    options.concurrency ?? 4,
    async (row, i) => {
      const path = imageAbsolutePath(project, row.relPath);
      try {
        const img = await decodeResized(path, size);
        pixels.set(img.data, i * per);
        ok[i] = 1;
      } catch (err) {
        skipped.push({ id: row.id, path: row.relPath, reason: (err as Error).message.split('\n')[0] });
      }
      options.onProgress?.(++done, rows.length);
    },
    options.signal,
  );
  if (options.signal?.aborted) throw options.signal.reason ?? new Error('cancelled');
  if (skipped.length === 0) return { ids: rows.map((r) => r.id), size, pixels, skipped };
  // Compact the readable images to the front, keeping their order.
  const ids: number[] = [];
  let w = 0;
  for (let i = 0; i < rows.length; i++) {
    if (!ok[i]) continue;
    if (w !== i) pixels.copyWithin(w * per, i * per, (i + 1) * per);
    ids.push(rows[i].id);
    w++;
  }
  return { ids, size, pixels: pixels.subarray(0, w * per), skipped };
}

export function imageView(images: TrainingImages, index: number): RgbView {
  return { data: images.pixels, offset: index * images.size * images.size * 3, width: images.size, height: images.size };
}

/** Per-channel mean and standard deviation on 0..1 pixels. */
export function channelStats(images: TrainingImages): { mean: Triple; std: Triple } {
  const sum = [0, 0, 0];
  const sq = [0, 0, 0];
  const px = images.pixels;
  for (let i = 0; i < px.length; i += 3) {
    for (let c = 0; c < 3; c++) {
      const v = px[i + c] / 255;
      sum[c] += v;
      sq[c] += v * v;
    }
  }
  const n = Math.max(1, px.length / 3);
  const mean = sum.map((s) => s / n) as Triple;
  const std = sq.map((s, c) => Math.max(1e-3, Math.sqrt(Math.max(0, s / n - mean[c] * mean[c])))) as Triple;
  return { mean: mean.map(round4) as Triple, std: std.map(round4) as Triple };
}

function round4(v: number): number {
  return Math.round(v * 1e4) / 1e4;
}
