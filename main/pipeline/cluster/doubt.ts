// How likely an image's cluster is wrong, so a person reviews the likeliest mistakes first. Two signals
// that fail differently: the classifier's own confidence (low near a decision boundary) and the
// image's neighbourhood (its nearest neighbours, by cosine on the embeddings, mostly sitting in
// another cluster). doubt = 1 - (confidence + agreement) / 2, in [0, 1]; docs/spice.md compares it with
// each signal alone.

export interface DoubtResult {
  doubt: Float32Array;
  /** Share of the image's `neighbours` nearest neighbours in its own cluster. */
  agreement: Float32Array;
  /** Probability of the assigned cluster. */
  confidence: Float32Array;
}

export function doubtScores(
  labels: Int32Array,
  probs: Float32Array,
  k: number,
  knn: { indices: Int32Array; k: number },
  options: { neighbours?: number } = {},
): DoubtResult {
  const n = labels.length;
  if (probs.length !== n * k) throw new Error(`probs has ${probs.length} values, expected ${n} x ${k}`);
  const m = Math.min(options.neighbours ?? 20, knn.k);
  const doubt = new Float32Array(n);
  const agreement = new Float32Array(n);
  const confidence = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let same = 0;
    for (let j = 0; j < m; j++) if (labels[knn.indices[i * knn.k + j]] === labels[i]) same++;
    agreement[i] = m > 0 ? same / m : 1;
    confidence[i] = probs[i * k + labels[i]];
    doubt[i] = 1 - (confidence[i] + agreement[i]) / 2;
  }
  return { doubt, agreement, confidence };
}

/** Cluster of each row: the most probable one (ties: the lower index). */
export function argmaxLabels(probs: Float32Array, n: number, k: number): Int32Array {
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < k; c++) if (probs[i * k + c] > probs[i * k + best]) best = c;
    labels[i] = best;
  }
  return labels;
}
