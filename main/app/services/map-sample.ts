// A map of many images in bounded time: UMAP lays out a seeded sample, and every other image goes to
// the similarity-weighted mean position of its nearest sampled images (exact cosine search on
// onnxruntime, cosine-knn.ts: 40,000 x 10,000 x 1,024 in a few seconds). umap-js's own neighbour search
// and layout grow faster than linearly (docs/scale.md), and an image lands beside the ones it resembles.
import { cosineTopK } from '../../ml/cosine-knn.ts';
import { createRng, sampleIndices } from '../../base/random.ts';

/** Images UMAP lays out itself; larger maps place the rest around them. */
export const MAP_SAMPLE = 10_000;
/** Sampled neighbours an image is placed among. */
export const PLACE_NEIGHBOURS = 8;

export function mapSample(n: number, seed: number): Int32Array | null {
  return n > MAP_SAMPLE ? sampleIndices(n, MAP_SAMPLE, createRng(seed)) : null;
}

/** Rows `rows` of data (n x dim, L2-normalised), gathered into one block. */
export function gatherRows(data: Float32Array, dim: number, rows: ArrayLike<number>): Float32Array {
  const out = new Float32Array(rows.length * dim);
  for (let i = 0; i < rows.length; i++) out.set(data.subarray(rows[i] * dim, (rows[i] + 1) * dim), i * dim);
  return out;
}

/**
 * n x 2 coordinates: the sample's from its layout, every other row's the weighted mean of its
 * PLACE_NEIGHBOURS most similar sampled rows (weights: similarity, floored at a small positive value).
 */
export async function placeAroundSample(
  data: Float32Array,
  n: number,
  dim: number,
  sample: Int32Array,
  sampleCoords: Float32Array,
  options: { signal?: AbortSignal; onProgress?: (done: number, total: number) => void } = {},
): Promise<Float32Array> {
  const coords = new Float32Array(n * 2);
  const inSample = new Uint8Array(n);
  sample.forEach((row, i) => {
    inSample[row] = 1;
    coords[row * 2] = sampleCoords[i * 2];
    coords[row * 2 + 1] = sampleCoords[i * 2 + 1];
  });
  const rest: number[] = [];
  for (let i = 0; i < n; i++) if (!inSample[i]) rest.push(i);
  if (rest.length === 0) return coords;
  const k = Math.min(PLACE_NEIGHBOURS, sample.length);
  const found = await cosineTopK(gatherRows(data, dim, rest), rest.length, gatherRows(data, dim, sample), sample.length, dim, k, {
    signal: options.signal,
    onProgress: (p) => options.onProgress?.(p.done, p.total),
  });
  rest.forEach((row, r) => {
    let x = 0;
    let y = 0;
    let total = 0;
    for (let c = 0; c < k; c++) {
      const w = Math.max(found.sims[r * k + c], 1e-3);
      const s = found.indices[r * k + c];
      x += w * sampleCoords[s * 2];
      y += w * sampleCoords[s * 2 + 1];
      total += w;
    }
    coords[row * 2] = x / total;
    coords[row * 2 + 1] = y / total;
  });
  return coords;
}
