// The neighbours SPICE-Self's consistency term pulls together. With only the plain view, they are an
// image's nearest neighbours. With deterministic views in the bank (greyscale, mirror, centre zoom; see
// main/pipeline/embed/fixed-views.ts), they are the images that stay among its nearest neighbours in at
// least `minAgree` of the views: a pair that only one view puts together is often colour, background or
// framing; a pair that survives greyscale, mirror and zoom is more often the object. Measured on the
// 10,000 CIFAR-10 test images (docs/spice.md): 52% of plain-view 50-NN pairs share a class (57% of the
// 20-NN), the pairs >= 3 of the 5 views agree on (21 per image) 60%.
import type { KnnResult } from '../../ml/cosine-knn.ts';

/** Neighbour lists of n images in CSR form: image i's neighbours are indices[offsets[i]..offsets[i+1]). */
export interface NeighbourLists {
  offsets: Int32Array;
  indices: Int32Array;
}

export interface AgreementOptions {
  /** A pair is kept when it is among the per-view nearest neighbours in at least this many views. */
  minAgree: number;
  /** Images with fewer agreed neighbours than this get their `fallbackK` nearest plain-view neighbours added. */
  minNeighbours: number;
  fallbackK: number;
}

export interface AgreementStats {
  meanNeighbours: number;
  /** Images that had too few agreed neighbours and got plain-view ones added. */
  fallbackImages: number;
}

/** The first k neighbours of every row of a k-NN result. */
export function nearestNeighbourLists(graph: KnnResult, n: number, k: number): NeighbourLists {
  const take = Math.min(k, graph.k);
  const offsets = new Int32Array(n + 1);
  const indices = new Int32Array(n * take);
  for (let i = 0; i < n; i++) {
    offsets[i + 1] = (i + 1) * take;
    indices.set(graph.indices.subarray(i * graph.k, i * graph.k + take), i * take);
  }
  return { offsets, indices };
}

/**
 * Pairs (i, j) where j is among i's nearest neighbours in at least minAgree of the views' graphs
 * (all graphs over the same n images). plain: the plain view's graph, for the fallback.
 */
export function agreedNeighbourLists(
  graphs: readonly KnnResult[],
  plain: KnnResult,
  n: number,
  options: AgreementOptions,
): { lists: NeighbourLists; stats: AgreementStats } {
  if (graphs.length === 0) throw new Error('agreedNeighbourLists needs at least one graph');
  if (!(options.minAgree >= 1 && options.minAgree <= graphs.length)) throw new Error(`minAgree must be in 1..${graphs.length}, got ${options.minAgree}`);
  const perRow = graphs.reduce((s, g) => s + g.k, 0);
  const candidates = new Int32Array(perRow);
  const rows: Int32Array[] = [];
  let total = 0;
  let fallbackImages = 0;
  for (let i = 0; i < n; i++) {
    let at = 0;
    for (const g of graphs) {
      candidates.set(g.indices.subarray(i * g.k, (i + 1) * g.k), at);
      at += g.k;
    }
    const sorted = candidates.subarray(0, at).sort();
    const kept: number[] = [];
    for (let s = 0; s < at;) {
      let e = s + 1;
      while (e < at && sorted[e] === sorted[s]) e++;
      if (e - s >= options.minAgree) kept.push(sorted[s]);
      s = e;
    }
    if (kept.length < options.minNeighbours) {
      fallbackImages++;
      const extra = plain.indices.subarray(i * plain.k, i * plain.k + Math.min(options.fallbackK, plain.k));
      for (const j of extra) if (!kept.includes(j)) kept.push(j);
      kept.sort((a, b) => a - b);
    }
    const row = Int32Array.from(kept);
    rows.push(row);
    total += row.length;
  }
  const offsets = new Int32Array(n + 1);
  const indices = new Int32Array(total);
  for (let i = 0; i < n; i++) {
    indices.set(rows[i], offsets[i]);
    offsets[i + 1] = offsets[i] + rows[i].length;
  }
  return { lists: { offsets, indices }, stats: { meanNeighbours: total / n, fallbackImages } };
}

/** A uniformly random neighbour of image i. */
export function randomNeighbour(lists: NeighbourLists, i: number, int: (n: number) => number): number {
  const start = lists.offsets[i];
  return lists.indices[start + int(lists.offsets[i + 1] - start)];
}
