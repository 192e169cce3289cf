// Synthetic, L2-normalised blobs for unit tests of the clustering algorithms (real-embedding tests live beside them).
import { createRng } from '../../main/base/random.ts';

export interface Blobs {
  data: Float32Array;
  n: number;
  dim: number;
  truth: number[];
}

/** `perBlob` points around each of `blobs` random unit directions, with noise `spread`, normalised. */
export function makeBlobs(blobs: number, perBlob: number, dim: number, spread: number, seed = 1): Blobs {
  const rng = createRng(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
  const centers = Array.from({ length: blobs }, () => Array.from({ length: dim }, gauss));
  const n = blobs * perBlob;
  const data = new Float32Array(n * dim);
  const truth: number[] = [];
  for (let i = 0; i < n; i++) {
    const b = i % blobs;
    truth.push(b);
    let norm = 0;
    for (let d = 0; d < dim; d++) {
      const v = centers[b][d] / Math.sqrt(dim) + (spread * gauss()) / Math.sqrt(dim);
      data[i * dim + d] = v;
      norm += v * v;
    }
    norm = Math.sqrt(norm);
    for (let d = 0; d < dim; d++) data[i * dim + d] /= norm;
  }
  return { data, n, dim, truth };
}
