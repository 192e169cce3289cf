// Cosine k-nearest neighbours of every image among all images. The product of all embeddings with all
// embeddings (10,000 x 10,000 x 1,024 for CIFAR-10: 1e11 multiply-adds) runs as an onnxruntime graph
// (main/ml/cosine-knn.ts).
import { cosineKnn, type KnnResult } from '../../ml/cosine-knn.ts';

export type { KnnResult };

/** data: n x dim, L2-normalised rows. Neighbours exclude the row itself, most similar first. */
export function knn(
  data: Float32Array,
  n: number,
  dim: number,
  k: number,
  options: { signal?: AbortSignal; onProgress?: (done: number, total: number) => void } = {},
): Promise<KnnResult> {
  return cosineKnn(data, n, dim, Math.min(k, n - 1), { signal: options.signal, onProgress: (p) => options.onProgress?.(p.done, p.total) });
}
