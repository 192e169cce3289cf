// Randomized PCA (range finder with power iterations, Halko et al. 2011): the top principal
// components of a tall matrix without forming its dim x dim covariance. Used to bring 1024-d
// embeddings down to a few dozen dimensions before UMAP's neighbour search, which is far faster there.
import { jacobiEigen } from '../../ml/jacobi-eigen.ts';
import { createRng } from '../../base/random.ts';

export interface PcaOptions {
  seed?: number;
  /** Extra random directions beyond `components` (accuracy of the range finder). */
  oversample?: number;
  /** Power iterations (accuracy when the spectrum decays slowly). */
  iterations?: number;
}

/**
 * Scores of the n rows of `data` (n x dim, row-major) on the top `components` principal axes,
 * n x components row-major, largest variance first.
 */
export function randomizedPca(data: Float32Array, n: number, dim: number, components: number, options: PcaOptions = {}): Float32Array {
  const c = Math.min(components, dim, n);
  const l = Math.min(c + (options.oversample ?? 10), dim, n);
  const rng = createRng(options.seed ?? 0);
  const mean = new Float64Array(dim);
  for (let i = 0; i < n; i++) for (let d = 0; d < dim; d++) mean[d] += data[i * dim + d];
  for (let d = 0; d < dim; d++) mean[d] /= n;

  // Y = (X - mean) * Omega, kept as l columns of length n.
  let omega: Float64Array[] = Array.from({ length: l }, () => Float64Array.from({ length: dim }, () => gaussian(rng)));
  let y: Float64Array[] = multiplyCentered(data, n, dim, mean, omega);
  orthonormalize(y);
  for (let it = 0; it < (options.iterations ?? 2); it++) {
    omega = multiplyCenteredTransposed(data, n, dim, mean, y);
    orthonormalize(omega);
    y = multiplyCentered(data, n, dim, mean, omega);
    orthonormalize(y);
  }
  // B = Y^T (X - mean) is l x dim; its small Gram matrix B B^T gives the singular values and U.
  const b = multiplyCenteredTransposed(data, n, dim, mean, y); // l columns of length dim = B^T
  const gram = new Float64Array(l * l);
  for (let i = 0; i < l; i++) {
    for (let j = i; j < l; j++) {
      const s = dot(b[i], b[j]);
      gram[i * l + j] = s;
      gram[j * l + i] = s;
    }
  }
  const { values, vectors } = jacobiEigen(gram, l, { sweeps: 100 });
  const order = Array.from({ length: l }, (_, i) => i).sort((p, q) => values[q] - values[p]);
  // Scores = (X - mean) V = Y U Sigma.
  const out = new Float32Array(n * c);
  for (let k = 0; k < c; k++) {
    const e = order[k];
    const sigma = Math.sqrt(Math.max(0, values[e]));
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < l; j++) s += y[j][i] * vectors[j * l + e];
      out[i * c + k] = s * sigma;
    }
  }
  return out;
}

function gaussian(rng: { next(): number }): number {
  const u = Math.max(rng.next(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** (X - mean) * W for W given as columns of length dim; returns columns of length n. */
function multiplyCentered(data: Float32Array, n: number, dim: number, mean: Float64Array, w: Float64Array[]): Float64Array[] {
  const out = w.map(() => new Float64Array(n));
  const shift = w.map((col) => dot(mean, col));
  for (let i = 0; i < n; i++) {
    const off = i * dim;
    for (let j = 0; j < w.length; j++) {
      const col = w[j];
      let s = 0;
      for (let d = 0; d < dim; d++) s += data[off + d] * col[d];
      out[j][i] = s - shift[j];
    }
  }
  return out;
}

/** (X - mean)^T * Y for Y given as columns of length n; returns columns of length dim. */
function multiplyCenteredTransposed(data: Float32Array, n: number, dim: number, mean: Float64Array, y: Float64Array[]): Float64Array[] {
  const out = y.map(() => new Float64Array(dim));
  const colSums = y.map((col) => col.reduce((a, v) => a + v, 0));
  for (let i = 0; i < n; i++) {
    const off = i * dim;
    for (let j = 0; j < y.length; j++) {
      const yi = y[j][i];
      if (yi === 0) continue;
      const o = out[j];
      for (let d = 0; d < dim; d++) o[d] += data[off + d] * yi;
    }
  }
  for (let j = 0; j < y.length; j++) for (let d = 0; d < dim; d++) out[j][d] -= mean[d] * colSums[j];
  return out;
}

/** Modified Gram-Schmidt on columns, in place; a column that vanishes is left zero. */
function orthonormalize(cols: Float64Array[]): void {
  for (let j = 0; j < cols.length; j++) {
    const v = cols[j];
    for (let k = 0; k < j; k++) {
      const p = dot(cols[k], v);
      const u = cols[k];
      for (let i = 0; i < v.length; i++) v[i] -= p * u[i];
    }
    const norm = Math.sqrt(dot(v, v));
    if (norm > 1e-12) for (let i = 0; i < v.length; i++) v[i] /= norm;
    else v.fill(0);
  }
}

