// The SPICE losses on one head's logits, with their gradients with respect to the logits, in plain
// JavaScript (a few thousand rows x k values per step; the heavy products run in MlpHeads).
// Every function ADDS its gradient into `grad` (same layout as the logits) and returns the loss value.

/** Row-wise softmax of n x k logits starting at `offset`; returns a new n x k array. */
export function softmaxRows(logits: Float32Array, offset: number, n: number, k: number): Float32Array {
  const out = new Float32Array(n * k);
  for (let i = 0; i < n; i++) {
    const o = offset + i * k;
    let max = -Infinity;
    for (let c = 0; c < k; c++) if (logits[o + c] > max) max = logits[o + c];
    let total = 0;
    for (let c = 0; c < k; c++) total += out[i * k + c] = Math.exp(logits[o + c] - max);
    for (let c = 0; c < k; c++) out[i * k + c] /= total;
  }
  return out;
}

/**
 * Adds dL/dlogits = p (g - <g, p>) for a gradient g with respect to the probabilities p (softmax
 * Jacobian), for n rows whose logits start at `offset`.
 */
export function addThroughSoftmax(p: Float32Array, gp: Float32Array, grad: Float32Array, offset: number, n: number, k: number): void {
  for (let i = 0; i < n; i++) {
    let dot = 0;
    for (let c = 0; c < k; c++) dot += gp[i * k + c] * p[i * k + c];
    for (let c = 0; c < k; c++) grad[offset + i * k + c] += p[i * k + c] * (gp[i * k + c] - dot);
  }
}

/**
 * Neighbour consistency (SCAN): -mean_i log <p(anchor_i), p(neighbour_i)>. Both sides get gradients.
 * pa, pn: n x k probabilities; their logits start at offsetA / offsetN in `grad`.
 */
export function neighbourConsistency(
  pa: Float32Array,
  pn: Float32Array,
  n: number,
  k: number,
  weight: number,
  grad: Float32Array,
  offsetA: number,
  offsetN: number,
): number {
  const ga = new Float32Array(n * k);
  const gn = new Float32Array(n * k);
  let loss = 0;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let c = 0; c < k; c++) s += pa[i * k + c] * pn[i * k + c];
    s = Math.max(s, 1e-12);
    loss -= Math.log(s);
    const f = weight / (n * s);
    for (let c = 0; c < k; c++) {
      ga[i * k + c] = -f * pn[i * k + c];
      gn[i * k + c] = -f * pa[i * k + c];
    }
  }
  addThroughSoftmax(pa, ga, grad, offsetA, n, k);
  addThroughSoftmax(pn, gn, grad, offsetN, n, k);
  return (weight * loss) / n;
}

/**
 * Negative entropy of the mean prediction, sum_c pbar_c log pbar_c: minimising it spreads the images
 * over all clusters (without it every head collapses into one cluster).
 */
export function meanEntropyPenalty(p: Float32Array, n: number, k: number, weight: number, grad: Float32Array, offset: number, prior?: Float32Array): number {
  const mean = new Float64Array(k);
  for (let i = 0; i < n; i++) for (let c = 0; c < k; c++) mean[c] += p[i * k + c] / n;
  let negEntropy = 0;
  const g = new Float32Array(k);
  // With a prior this is KL(mean || prior): the mean prediction is pulled towards the prior's class shares
  // instead of towards uniform (the same up to a constant when the prior is uniform).
  for (let c = 0; c < k; c++) {
    const m = Math.max(mean[c], 1e-12);
    const logRatio = Math.log(m) - (prior ? Math.log(Math.max(prior[c], 1e-12)) : 0);
    negEntropy += m * logRatio;
    g[c] = (weight * (logRatio + 1)) / n;
  }
  const gp = new Float32Array(n * k);
  for (let i = 0; i < n; i++) gp.set(g, i * k);
  addThroughSoftmax(p, gp, grad, offset, n, k);
  return weight * negEntropy;
}

/**
 * Cross-entropy of rows against integer targets (-1 = no target), averaged over `normaliser` (the
 * number of targeted rows unless given), optionally weighted per row. Gradient p - onehot.
 */
export function crossEntropy(
  p: Float32Array,
  targets: Int32Array,
  n: number,
  k: number,
  weight: number,
  grad: Float32Array,
  offset: number,
  options: { normaliser?: number; rowWeights?: Float32Array } = {},
): number {
  let count = 0;
  for (let i = 0; i < n; i++) if (targets[i] >= 0) count++;
  const norm = options.normaliser ?? count;
  if (count === 0 || norm <= 0) return 0;
  let loss = 0;
  for (let i = 0; i < n; i++) {
    const t = targets[i];
    if (t < 0) continue;
    const w = (options.rowWeights ? options.rowWeights[i] : 1) * weight;
    loss -= w * Math.log(Math.max(p[i * k + t], 1e-12));
    for (let c = 0; c < k; c++) grad[offset + i * k + c] += (w * (p[i * k + c] - (c === t ? 1 : 0))) / norm;
  }
  return loss / norm;
}
