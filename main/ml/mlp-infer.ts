// Inference of a trained SPICE classifier in plain JavaScript (no TensorFlow.js): one MLP head. Small
// enough to label a few new images anywhere, e.g. behind `classify`. (The PCA in front of it is
// spice-linalg.ts's projectPca, the one SPICE itself projects with.)

export interface MlpHeadsSpec {
  inputDim: number;
  hidden: number;
  /** Outputs (clusters) per head. */
  k: number;
  heads: number;
}

/** Weights of all heads as plain arrays (row-major): what a run stores and what inference needs. */
export interface MlpHeadsWeights {
  spec: MlpHeadsSpec;
  /** inputDim x (heads*hidden); head h owns columns h*hidden .. (h+1)*hidden-1. */
  w1: Float32Array;
  /** heads*hidden. */
  b1: Float32Array;
  /** heads x hidden x k. */
  w2: Float32Array;
  /** heads x k. */
  b2: Float32Array;
}

/** The weights of one head as a one-head set. */
export function sliceHead(w: MlpHeadsWeights, head: number): MlpHeadsWeights {
  const { inputDim: d, hidden: h, k, heads: H } = w.spec;
  if (!Number.isInteger(head) || head < 0 || head >= H) throw new Error(`head ${head} is outside 0..${H - 1}`);
  const w1 = new Float32Array(d * h);
  for (let r = 0; r < d; r++) w1.set(w.w1.subarray(r * H * h + head * h, r * H * h + (head + 1) * h), r * h);
  return {
    spec: { inputDim: d, hidden: h, k, heads: 1 },
    w1,
    b1: w.b1.slice(head * h, (head + 1) * h),
    w2: w.w2.slice(head * h * k, (head + 1) * h * k),
    b2: w.b2.slice(head * k, (head + 1) * k),
  };
}

/**
 * Softmax outputs of a one-head weight set in plain JavaScript: no TensorFlow.js needed, so a stored
 * classifier can label a few new images anywhere.
 */
export function predictWithWeights(w: MlpHeadsWeights, x: Float32Array, n: number): Float32Array {
  const { hidden: h, k } = w.spec;
  const act = hiddenActivations(w, x, n);
  const out = new Float32Array(n * k);
  for (let i = 0; i < n; i++) {
    let max = -Infinity;
    for (let c = 0; c < k; c++) {
      let z = w.b2[c];
      for (let j = 0; j < h; j++) {
        const a = act[i * h + j];
        if (a > 0) z += a * w.w2[j * k + c];
      }
      out[i * k + c] = z;
      if (z > max) max = z;
    }
    let total = 0;
    for (let c = 0; c < k; c++) total += out[i * k + c] = Math.exp(out[i * k + c] - max);
    for (let c = 0; c < k; c++) out[i * k + c] /= total;
  }
  return out;
}

/** ReLU activations of the hidden layer of a one-head set, n x hidden, in plain JavaScript. */
export function hiddenActivations(w: MlpHeadsWeights, x: Float32Array, n: number): Float32Array {
  const { inputDim: d, hidden: h, heads: H } = w.spec;
  if (H !== 1) throw new Error('one head at a time: use sliceHead() first');
  if (x.length < n * d) throw new Error(`input has ${x.length} values, expected ${n} x ${d}`);
  const out = new Float32Array(n * h);
  for (let i = 0; i < n; i++) {
    const act = out.subarray(i * h, (i + 1) * h);
    act.set(w.b1);
    for (let r = 0; r < d; r++) {
      const xv = x[i * d + r];
      if (xv === 0) continue;
      const row = r * h;
      for (let j = 0; j < h; j++) act[j] += xv * w.w1[row + j];
    }
    for (let j = 0; j < h; j++) if (act[j] < 0) act[j] = 0;
  }
  return out;
}
