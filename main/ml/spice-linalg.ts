// Large matrix products on TensorFlow.js: the one PCA of the project (it feeds SPICE's clustering heads,
// a stored classifier's inputs and the map's UMAP) and the dot products of rows against centres. (The
// k-NN runs on onnxruntime: cosine-knn.ts.)
import { tf } from './tf-backend.ts';
import { jacobiEigen } from './jacobi-eigen.ts';

export interface PcaBasis {
  inputDim: number;
  outDim: number;
  /** inputDim values. */
  mean: Float32Array;
  /** outDim x inputDim, orthonormal rows, by decreasing variance. */
  components: Float32Array;
  /** Variance along each component. */
  variances: Float32Array;
  /** Share of the total variance the components keep. */
  explained: number;
}

/**
 * Top principal components by block power iteration on the covariance (inputDim x inputDim, one tfjs
 * product), orthonormalised each round, then rotated onto the eigenvectors of the small projected
 * covariance (Jacobi). The start block comes from `random`, so the basis is reproducible.
 */
export function pca(data: Float32Array, n: number, dim: number, outDim: number, random: () => number, options: { iterations?: number } = {}): PcaBasis {
  if (!Number.isInteger(outDim) || outDim < 1 || outDim > dim) throw new Error(`PCA: outDim must be in 1..${dim}, got ${outDim}`);
  if (n < 2) throw new Error('PCA needs at least two rows');
  const iterations = options.iterations ?? 12;
  const mean = new Float32Array(dim);
  for (let i = 0; i < n; i++) for (let d = 0; d < dim; d++) mean[d] += data[i * dim + d];
  for (let d = 0; d < dim; d++) mean[d] /= n;
  const cov = tf.tidy(() => {
    const x = tf.sub(tf.tensor2d(data.subarray(0, n * dim), [n, dim]), tf.tensor1d(mean));
    return tf.div(tf.matMul(tf.transpose(x), x), n - 1) as tf.Tensor2D;
  });
  try {
    let total = 0;
    const covValues = cov.dataSync();
    for (let d = 0; d < dim; d++) total += covValues[d * dim + d];
    // Basis as outDim rows of dim values (C is symmetric, so Q C gives the rows of (C Q^T)^T).
    let basis: Float32Array = new Float32Array(outDim * dim);
    for (let i = 0; i < basis.length; i++) basis[i] = random() - 0.5;
    orthonormalizeRows(basis, outDim, dim);
    for (let it = 0; it < iterations; it++) {
      basis = timesCov(cov, basis, outDim, dim);
      orthonormalizeRows(basis, outDim, dim);
    }
    // Rayleigh-Ritz: small = Q C Q^T (outDim x outDim); its eigenvectors rotate Q onto the components.
    const qc = timesCov(cov, basis, outDim, dim);
    const smallT = tf.tidy(() => tf.matMul(tf.tensor2d(qc, [outDim, dim]), tf.transpose(tf.tensor2d(basis, [outDim, dim]))));
    const small = Float64Array.from(smallT.dataSync());
    smallT.dispose();
    for (let a = 0; a < outDim; a++)
      for (let b = a + 1; b < outDim; b++) small[a * outDim + b] = small[b * outDim + a] = (small[a * outDim + b] + small[b * outDim + a]) / 2;
    const { values, vectors } = jacobiEigen(small, outDim);
    const order = Array.from(values.keys()).sort((a, b) => values[b] - values[a]);
    const components = new Float32Array(outDim * dim);
    const variances = new Float32Array(outDim);
    let kept = 0;
    order.forEach((col, r) => {
      variances[r] = values[col];
      kept += values[col];
      const row = components.subarray(r * dim, (r + 1) * dim);
      for (let a = 0; a < outDim; a++) {
        const w = vectors[a * outDim + col];
        const o = a * dim;
        for (let d = 0; d < dim; d++) row[d] += w * basis[o + d];
      }
      // A deterministic sign: the largest-magnitude coordinate positive.
      let best = 0;
      for (let d = 1; d < dim; d++) if (Math.abs(row[d]) > Math.abs(row[best])) best = d;
      if (row[best] < 0) for (let d = 0; d < dim; d++) row[d] = -row[d];
    });
    return { inputDim: dim, outDim, mean, components, variances, explained: total > 0 ? kept / total : 0 };
  } finally {
    cov.dispose();
  }
}

/** (x - mean) projected on the components: n x outDim. */
export function projectPca(basis: PcaBasis, data: Float32Array, n: number): Float32Array {
  const { inputDim: dim, outDim } = basis;
  if (data.length < n * dim) throw new Error(`data has ${data.length} values, expected ${n} x ${dim}`);
  if (n === 0) return new Float32Array(0);
  const out = tf.tidy(() => {
    const x = tf.sub(tf.tensor2d(data.subarray(0, n * dim), [n, dim]), tf.tensor1d(basis.mean));
    return tf.matMul(x, tf.transpose(tf.tensor2d(basis.components, [outDim, dim])));
  });
  const values = Float32Array.from(out.dataSync());
  out.dispose();
  return values;
}

function timesCov(cov: tf.Tensor2D, rows: Float32Array, m: number, dim: number): Float32Array {
  const t = tf.tidy(() => tf.matMul(tf.tensor2d(rows, [m, dim]), cov));
  const v = Float32Array.from(t.dataSync());
  t.dispose();
  return v;
}

/** Modified Gram-Schmidt on the rows of an m x dim row-major matrix. */
function orthonormalizeRows(a: Float32Array, m: number, dim: number): void {
  let fresh = 0;
  for (let j = 0; j < m; j++) {
    const row = a.subarray(j * dim, (j + 1) * dim);
    for (let p = 0; p < j; p++) {
      const prev = a.subarray(p * dim, (p + 1) * dim);
      let dot = 0;
      for (let d = 0; d < dim; d++) dot += row[d] * prev[d];
      for (let d = 0; d < dim; d++) row[d] -= dot * prev[d];
    }
    let norm = 0;
    for (let d = 0; d < dim; d++) norm += row[d] * row[d];
    norm = Math.sqrt(norm);
    if (norm < 1e-6) {
      // Rank-deficient data: restart this row from a unit vector and orthogonalise it again.
      if (fresh >= dim) throw new Error('PCA: could not complete an orthonormal basis');
      row.fill(0);
      row[fresh++] = 1;
      j--;
      continue;
    }
    for (let d = 0; d < dim; d++) row[d] /= norm;
  }
}

/** a (n x dim) times b (m x dim) transposed: n x m dot products, on the tfjs backend. */
export function rowDots(a: Float32Array, n: number, b: Float32Array, m: number, dim: number): Float32Array {
  if (a.length < n * dim || b.length < m * dim) throw new Error('rowDots: inputs are shorter than their shapes');
  if (n === 0 || m === 0) return new Float32Array(n * m);
  const t = tf.tidy(() => tf.matMul(tf.tensor2d(a.subarray(0, n * dim), [n, dim]), tf.transpose(tf.tensor2d(b.subarray(0, m * dim), [m, dim]))));
  const v = Float32Array.from(t.dataSync());
  t.dispose();
  return v;
}
