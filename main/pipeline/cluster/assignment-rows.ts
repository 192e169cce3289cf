// The rows a finished run stores (table assignments), built one way for every method: k-means, SPICE,
// SPICE-Self and refine.
import type { Assignment } from '../../db/runs-repo.ts';

/** A run's per-image results, as columns over the same rows. */
export interface RunResultColumns {
  labels: Int32Array;
  /** n x k, row-major. */
  probs: Float32Array;
  confidence: Float32Array;
  doubt: Float32Array;
  /** 1 where an image is a reliable sample; null when the method picks none (k-means). */
  reliable: Uint8Array | null;
}

export function assignmentRows(imageIds: readonly number[], k: number, c: RunResultColumns): Assignment[] {
  return imageIds.map((imageId, i) => ({
    imageId,
    cluster: c.labels[i],
    confidence: c.confidence[i],
    doubt: c.doubt[i],
    reliable: c.reliable !== null && c.reliable[i] === 1,
    probs: c.probs.subarray(i * k, (i + 1) * k),
  }));
}
