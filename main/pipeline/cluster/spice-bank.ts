// What the SPICE stages train on: the frozen-backbone embeddings of every image (plain view) and of the
// view bank (weak, strong, fixed), projected for the heads, plus the cosine k-NN graph of the plain view
// and the neighbours the consistency term uses.
import type { KnnResult } from '../../ml/cosine-knn.ts';
import type { NeighbourLists } from './view-agreement.ts';

export interface SpiceBank {
  n: number;
  /** Width of the vectors the heads read (the PCA projection of the embeddings). */
  dim: number;
  /** Plain view, n x dim. */
  plain: Float32Array;
  /** Views used where SPICE takes a weak augmentation: the plain view first, then weak/0, weak/1, ... */
  weak: Float32Array[];
  /** Strong views (strong/0, ...); the weak list when the bank has none. */
  strong: Float32Array[];
  weakNames: string[];
  strongNames: string[];
  /** The original L2-normalised plain embeddings, n x embDim (prototypes are means of these). */
  embeddings: Float32Array;
  embDim: number;
  knn: KnnResult;
  /** Views the neighbour-consistency term reads: plain + the fixed views when the bank has them, else the weak list. */
  consistencyViews: Float32Array[];
  consistencyViewNames: string[];
  /** Whose predictions the consistency term pulls together (view-agreement.ts). */
  neighbours: NeighbourLists;
  /**
   * Views the final predictions average over: plain + the fixed views (deterministic, so every run
   * averages the same vectors), or just plain. Random weak/strong views are training noise, not part of this.
   */
  predictionViews: Float32Array[];
}

/** What SPICE-Semi reads of the bank. */
export type SemiBank = Pick<SpiceBank, 'n' | 'dim' | 'weak' | 'strong' | 'predictionViews'>;

/** The mean of predict(view) over the views (element-wise; every call returns the same layout). */
export function predictOverViews(views: readonly Float32Array[], predict: (x: Float32Array) => Float32Array): Float32Array {
  const out = predict(views[0]);
  for (let v = 1; v < views.length; v++) {
    const p = predict(views[v]);
    for (let i = 0; i < out.length; i++) out[i] += p[i];
  }
  if (views.length > 1) for (let i = 0; i < out.length; i++) out[i] /= views.length;
  return out;
}

/** Copies rows `rows` of an n x dim matrix (optionally each from its own view) into out at row `at`. */
export function gatherRows(views: readonly Float32Array[], viewOf: Int32Array | null, rows: ArrayLike<number>, dim: number, out: Float32Array, at: number): void {
  for (let r = 0; r < rows.length; r++) {
    const src = views[viewOf ? viewOf[r] : 0];
    const i = rows[r];
    out.set(src.subarray(i * dim, (i + 1) * dim), (at + r) * dim);
  }
}

/** A uniformly random view index per row. */
export function randomViews(count: number, views: number, int: (n: number) => number): Int32Array {
  const out = new Int32Array(count);
  for (let r = 0; r < count; r++) out[r] = int(views);
  return out;
}

export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
