// "More like these": the images nearest to a selection, by cosine similarity to the mean of its
// L2-normalised embeddings.

/** The k rows most similar to the mean of `rows` (rows in `exclude` never count), best first. */
export function topKSimilar(
  data: Float32Array,
  dim: number,
  n: number,
  rows: readonly number[],
  k: number,
  exclude: ReadonlySet<number>,
): Array<{ index: number; similarity: number }> {
  const query = new Float32Array(dim);
  for (const r of rows) for (let d = 0; d < dim; d++) query[d] += data[r * dim + d];
  let norm = 0;
  for (let d = 0; d < dim; d++) norm += query[d] * query[d];
  norm = Math.sqrt(norm) || 1;
  for (let d = 0; d < dim; d++) query[d] /= norm;
  return topKByQuery(data, dim, n, query, k, exclude);
}

/** The k rows with the largest dot product with `query`, best first (a sorted buffer of k: cheap for small k). */
export function topKByQuery(
  data: Float32Array,
  dim: number,
  n: number,
  query: Float32Array,
  k: number,
  exclude: ReadonlySet<number>,
): Array<{ index: number; similarity: number }> {
  const best: Array<{ index: number; similarity: number }> = [];
  if (k <= 0) return best;
  for (let i = 0; i < n; i++) {
    if (exclude.has(i)) continue;
    let s = 0;
    const off = i * dim;
    for (let d = 0; d < dim; d++) s += query[d] * data[off + d];
    if (best.length < k) {
      best.push({ index: i, similarity: s });
      if (best.length === k) best.sort((x, y) => y.similarity - x.similarity);
    } else if (s > best[k - 1].similarity) {
      let j = k - 1;
      while (j > 0 && best[j - 1].similarity < s) j--;
      best.splice(j, 0, { index: i, similarity: s });
      best.pop();
    }
  }
  if (best.length < k) best.sort((x, y) => y.similarity - x.similarity);
  return best;
}
