// Leave-one-out k-nearest-neighbour accuracy of features against known labels: how well a backbone
// separates classes without any training on the labels (the usual check of a self-supervised encoder).

export interface KnnAccuracy {
  k: number;
  /** Majority vote of the k nearest (ties to the class with the larger summed similarity). */
  majority: number;
  /** Votes weighted by exp(similarity / 0.07), as the MoCo/InstDisc kNN monitor. */
  weighted: number;
}

/** `features` are n x dim rows, L2-normalised (cosine = dot product). */
export function knnAccuracy(features: Float32Array, n: number, dim: number, labels: readonly number[], k: number): KnnAccuracy {
  if (labels.length !== n) throw new Error(`${labels.length} labels for ${n} feature rows`);
  if (k < 1 || k >= n) throw new Error(`k must be from 1 to ${n - 1}, got ${k}`);
  const classes = Math.max(...labels) + 1;
  const sims = new Float32Array(n);
  const idx = new Int32Array(n);
  let majorityHits = 0;
  let weightedHits = 0;
  const votes = new Float64Array(classes);
  const simSum = new Float64Array(classes);
  const weighted = new Float64Array(classes);
  for (let i = 0; i < n; i++) {
    const a = i * dim;
    for (let j = 0; j < n; j++) {
      let s = 0;
      const b = j * dim;
      for (let t = 0; t < dim; t++) s += features[a + t] * features[b + t];
      sims[j] = j === i ? -Infinity : s;
      idx[j] = j;
    }
    const nearest = Array.from(idx)
      .sort((x, y) => sims[y] - sims[x])
      .slice(0, k);
    votes.fill(0);
    simSum.fill(0);
    weighted.fill(0);
    for (const j of nearest) {
      const c = labels[j];
      votes[c] += 1;
      simSum[c] += sims[j];
      weighted[c] += Math.exp(sims[j] / 0.07);
    }
    let best = 0;
    let bestW = 0;
    for (let c = 1; c < classes; c++) {
      if (votes[c] > votes[best] || (votes[c] === votes[best] && simSum[c] > simSum[best])) best = c;
      if (weighted[c] > weighted[bestW]) bestW = c;
    }
    if (best === labels[i]) majorityHits++;
    if (bestW === labels[i]) weightedHits++;
  }
  return { k, majority: majorityHits / n, weighted: weightedHits / n };
}
