// The map's embeddings brought down to a few dozen dimensions before UMAP's neighbour search, which is far
// faster there. The PCA is SPICE's (main/ml/spice-linalg.ts), run inside the projection worker on a
// TensorFlow.js backend of its own, so the services' thread stays free.
import { createRng } from '../../base/random.ts';
import { pca, projectPca } from '../../ml/spice-linalg.ts';
import { initTfBackend } from '../../ml/tf-backend.ts';

/** UMAP's neighbour search is many times faster on a PCA of the embeddings than on 1024 dimensions. */
export const MAP_PCA_DIMS = 50;

/**
 * The n rows of `data` (n x dim) as scores on their top principal axes (at most MAP_PCA_DIMS, and fewer
 * than n), largest variance first; rows already that narrow come back as they are.
 */
export async function reduceForMap(data: Float32Array, n: number, dim: number, seed: number): Promise<{ data: Float32Array; dim: number }> {
  const outDim = Math.min(MAP_PCA_DIMS, n - 1);
  if (dim <= outDim) return { data, dim };
  await initTfBackend();
  const basis = pca(data, n, dim, outDim, createRng(seed).next);
  return { data: projectPca(basis, data, n), dim: outDim };
}
