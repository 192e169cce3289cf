// Euclidean k-means: greedy k-means++ seeding, several restarts (lowest inertia wins), Hamerly's
// bounds to skip most distance computations once clusters settle. Distances come from dot products
// (|x|^2 - 2 x.c + |c|^2) computed by the dot kernel (WebAssembly SIMD, else plain JS).
import { createDotKernel, type DotKernel } from './dot-kernel.ts';
import { createRng, type Rng } from '../../base/random.ts';

export interface KmeansOptions {
  seed: number;
  /** Independent seedings; the one with the lowest inertia is kept (default 10). */
  restarts?: number;
  /** Lloyd iterations per restart (default 100). */
  maxIter?: number;
  /** Stop when the summed squared centre shift is below tol x mean feature variance (default 1e-4, as scikit-learn). */
  tol?: number;
  /** Candidates tried per k-means++ step, the best kept (default 2 + floor(ln k), as scikit-learn). */
  localTrials?: number;
  /** Dot-product engine (default: WebAssembly SIMD where available). */
  engine?: 'wasm-simd' | 'js';
}

export interface KmeansProgress {
  restart: number;
  restarts: number;
  iteration: number;
  /** Points whose cluster changed in this iteration. */
  changed: number;
}

export interface KmeansResult {
  /** Cluster of each row, 0..k-1. */
  labels: Int32Array;
  /** k x dim, row-major. */
  centroids: Float32Array;
  /** Sum of squared distances of rows to their centroid. */
  inertia: number;
  /** Inertia of every restart, in order. */
  restartInertias: number[];
  bestRestart: number;
  /** Iterations the kept restart took. */
  iterations: number;
}

export function kmeans(data: Float32Array, n: number, dim: number, k: number, options: KmeansOptions): KmeansResult {
  const steps = kmeansSteps(data, n, dim, k, options);
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/**
 * The same computation, yielding to the event loop between iterations so a signal can cancel it and
 * progress can be shown. Throws signal.reason (or an AbortError) when aborted.
 */
export async function kmeansAsync(
  data: Float32Array,
  n: number,
  dim: number,
  k: number,
  options: KmeansOptions & { signal?: AbortSignal; onProgress?: (p: KmeansProgress) => void },
): Promise<KmeansResult> {
  const steps = kmeansSteps(data, n, dim, k, options);
  for (;;) {
    options.signal?.throwIfAborted();
    const r = steps.next();
    if (r.done) return r.value;
    options.onProgress?.(r.value);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

export function* kmeansSteps(data: Float32Array, n: number, dim: number, k: number, options: KmeansOptions): Generator<KmeansProgress, KmeansResult> {
  validate(data, n, dim, k);
  const restarts = options.restarts ?? 10;
  const maxIter = options.maxIter ?? 100;
  if (!Number.isInteger(restarts) || restarts < 1) throw new Error(`restarts must be a positive integer, got ${restarts}`);
  if (!Number.isInteger(maxIter) || maxIter < 1) throw new Error(`maxIter must be a positive integer, got ${maxIter}`);
  const tol = (options.tol ?? 1e-4) * meanFeatureVariance(data, n, dim);
  const localTrials = options.localTrials ?? 2 + Math.floor(Math.log(k));
  const norms = rowSquaredNorms(data, n, dim);
  const rng = createRng(options.seed);
  const kernel = createDotKernel(data, n, dim, Math.max(k, localTrials), { engine: options.engine });

  let best: KmeansResult | null = null;
  const restartInertias: number[] = [];
  for (let r = 0; r < restarts; r++) {
    const centers = seedKmeansPlusPlus(kernel, data, k, norms, rng, localTrials);
    const state = yield* lloydHamerly(kernel, data, k, norms, centers, maxIter, tol, r, restarts);
    restartInertias.push(state.inertia);
    if (best === null || state.inertia < best.inertia) {
      best = { labels: state.labels, centroids: state.centers, inertia: state.inertia, restartInertias, bestRestart: r, iterations: state.iterations };
    }
  }
  return best!;
}

function validate(data: Float32Array, n: number, dim: number, k: number): void {
  if (!Number.isInteger(n) || n < 1) throw new Error(`k-means needs at least one row, got n=${n}`);
  if (!Number.isInteger(dim) || dim < 1) throw new Error(`dim must be a positive integer, got ${dim}`);
  if (data.length !== n * dim) throw new Error(`data has ${data.length} values, expected n x dim = ${n * dim}`);
  if (!Number.isInteger(k) || k < 1) throw new Error(`k must be a positive integer, got ${k}`);
  if (k > n) throw new Error(`k=${k} is larger than the number of rows (${n})`);
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) throw new Error(`data row ${Math.floor(i / dim)} holds a non-finite value`);
  }
}

export function rowSquaredNorms(data: Float32Array, n: number, dim: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const o = i * dim;
    let s = 0;
    for (let d = 0; d < dim; d++) s += data[o + d] * data[o + d];
    out[i] = s;
  }
  return out;
}

function meanFeatureVariance(data: Float32Array, n: number, dim: number): number {
  const mean = new Float64Array(dim);
  const sq = new Float64Array(dim);
  for (let i = 0; i < n; i++) {
    const o = i * dim;
    for (let d = 0; d < dim; d++) {
      const v = data[o + d];
      mean[d] += v;
      sq[d] += v * v;
    }
  }
  let total = 0;
  for (let d = 0; d < dim; d++) {
    const m = mean[d] / n;
    total += Math.max(0, sq[d] / n - m * m);
  }
  return total / dim;
}

/**
 * Greedy k-means++ (Arthur & Vassilvitskii, with scikit-learn's local trials): each new centre is the
 * best of a few D^2-sampled candidates; all candidates are measured in one pass over the rows.
 */
export function seedKmeansPlusPlus(kernel: DotKernel, data: Float32Array, k: number, norms: Float64Array, rng: Rng, localTrials: number): Float32Array {
  const { n, dim } = kernel;
  const trials = Math.max(1, Math.min(localTrials, kernel.centers.length / dim));
  const centers = new Float32Array(k * dim);
  const closest = new Float64Array(n);
  const candidateD2 = new Float64Array(trials * n);
  const potentials = new Float64Array(trials);
  const picks = new Int32Array(trials);
  const cumulative = new Float64Array(n);

  const first = rng.int(n);
  centers.set(data.subarray(first * dim, first * dim + dim), 0);
  kernel.centers.set(data.subarray(first * dim, first * dim + dim), 0);
  const firstDots = kernel.allDots(1);
  for (let i = 0; i < n; i++) {
    const d2 = norms[i] - 2 * firstDots[i] + norms[first];
    closest[i] = d2 > 0 ? d2 : 0;
  }
  let potential = sum(closest);
  for (let c = 1; c < k; c++) {
    let acc = 0;
    for (let i = 0; i < n; i++) cumulative[i] = acc += closest[i];
    for (let t = 0; t < trials; t++) {
      // When every row coincides with a centre, any row is as good as another.
      picks[t] = potential > 0 ? searchCumulative(cumulative, rng.next() * potential) : rng.int(n);
      kernel.centers.set(data.subarray(picks[t] * dim, picks[t] * dim + dim), t * dim);
    }
    const dots = kernel.allDots(trials);
    potentials.fill(0);
    for (let i = 0; i < n; i++) {
      for (let t = 0; t < trials; t++) {
        let d2 = norms[i] - 2 * dots[i * trials + t] + norms[picks[t]];
        if (d2 < 0) d2 = 0;
        candidateD2[t * n + i] = d2;
        potentials[t] += d2 < closest[i] ? d2 : closest[i];
      }
    }
    let best = 0;
    for (let t = 1; t < trials; t++) if (potentials[t] < potentials[best]) best = t;
    centers.set(data.subarray(picks[best] * dim, picks[best] * dim + dim), c * dim);
    for (let i = 0; i < n; i++) {
      const d2 = candidateD2[best * n + i];
      if (d2 < closest[i]) closest[i] = d2;
    }
    potential = potentials[best];
  }
  return centers;
}

function searchCumulative(cumulative: Float64Array, target: number): number {
  let lo = 0;
  let hi = cumulative.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cumulative[mid] <= target) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function sum(v: Float64Array): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i];
  return s;
}

interface LloydState {
  labels: Int32Array;
  centers: Float32Array;
  inertia: number;
  iterations: number;
}

function dist(norm: number, xc: number, cNorm: number): number {
  const d2 = norm - 2 * xc + cNorm;
  return d2 > 0 ? Math.sqrt(d2) : 0;
}

function* lloydHamerly(
  kernel: DotKernel,
  data: Float32Array,
  k: number,
  norms: Float64Array,
  initialCenters: Float32Array,
  maxIter: number,
  tol: number,
  restart: number,
  restarts: number,
): Generator<KmeansProgress, LloydState> {
  const { n, dim } = kernel;
  // The centres live in the kernel's memory, so the dot products read them in place.
  const centers = kernel.centers.subarray(0, k * dim);
  centers.set(initialCenters);
  const labels = new Int32Array(n);
  const upper = new Float64Array(n);
  const lower = new Float64Array(n);
  const cNorms = new Float64Array(k);
  const sums = new Float64Array(k * dim);
  const counts = new Int32Array(k);
  const oldCenters = new Float32Array(k * dim);
  const shift = new Float64Array(k);
  const halfGap = new Float64Array(k);

  const updateCenterNorms = () => {
    for (let j = 0; j < k; j++) {
      let s = 0;
      for (let d = 0; d < dim; d++) s += centers[j * dim + d] * centers[j * dim + d];
      cNorms[j] = s;
    }
  };
  /**
   * Exact closest and second-closest centre of row i; returns whether its label changed. A tie keeps
   * the current label, so a row moved into an emptied cluster does not flip back to a twin centre.
   */
  const dists = new Float64Array(k);
  // Per-cluster sums and counts follow each move, so updating the centres costs O(moves x dim), not O(n x dim).
  let trackSums = false;
  const moveRow = (i: number, from: number, to: number) => {
    const o = i * dim;
    const f = from * dim;
    const t = to * dim;
    for (let d = 0; d < dim; d++) {
      const v = data[o + d];
      sums[f + d] -= v;
      sums[t + d] += v;
    }
    counts[from]--;
    counts[to]++;
  };
  const assignFully = (i: number, dots: Float32Array, offset: number): boolean => {
    const current = labels[i];
    for (let j = 0; j < k; j++) dists[j] = dist(norms[i], dots[offset + j], cNorms[j]);
    let b1 = current;
    for (let j = 0; j < k; j++) if (dists[j] < dists[b1]) b1 = j;
    let d2 = Infinity;
    for (let j = 0; j < k; j++) if (j !== b1 && dists[j] < d2) d2 = dists[j];
    labels[i] = b1;
    upper[i] = dists[b1];
    lower[i] = d2;
    if (b1 === current) return false;
    if (trackSums) moveRow(i, current, b1);
    return true;
  };

  updateCenterNorms();
  const initialDots = kernel.allDots(k);
  for (let i = 0; i < n; i++) assignFully(i, initialDots, i * k);
  for (let i = 0; i < n; i++) {
    const j = labels[i];
    counts[j]++;
    const o = i * dim;
    const c = j * dim;
    for (let d = 0; d < dim; d++) sums[c + d] += data[o + d];
  }
  trackSums = true;
  let iterations = 0;
  let forceFull = false;
  for (let iter = 1; iter <= maxIter; iter++) {
    iterations = iter;
    // Move each centre to the mean of its rows.
    oldCenters.set(centers);
    if (relocateEmptyClusters(data, n, dim, k, labels, counts, sums, upper)) forceFull = true;
    for (let j = 0; j < k; j++) {
      const inv = 1 / counts[j];
      for (let d = 0; d < dim; d++) centers[j * dim + d] = sums[j * dim + d] * inv;
    }
    updateCenterNorms();
    let totalShift2 = 0;
    let maxShift = 0;
    let maxShiftCluster = -1;
    let secondShift = 0;
    for (let j = 0; j < k; j++) {
      let s = 0;
      for (let d = 0; d < dim; d++) {
        const diff = centers[j * dim + d] - oldCenters[j * dim + d];
        s += diff * diff;
      }
      totalShift2 += s;
      shift[j] = Math.sqrt(s);
      if (shift[j] > maxShift) {
        secondShift = maxShift;
        maxShift = shift[j];
        maxShiftCluster = j;
      } else if (shift[j] > secondShift) secondShift = shift[j];
    }
    // Half the distance from each centre to its nearest other centre: a row closer than that to its own centre cannot change.
    for (let a = 0; a < k; a++) halfGap[a] = Infinity;
    for (let a = 0; a < k; a++) {
      for (let b = a + 1; b < k; b++) {
        let s = 0;
        for (let d = 0; d < dim; d++) {
          const diff = centers[a * dim + d] - centers[b * dim + d];
          s += diff * diff;
        }
        const half = Math.sqrt(s) / 2;
        if (half < halfGap[a]) halfGap[a] = half;
        if (half < halfGap[b]) halfGap[b] = half;
      }
    }
    let changed = 0;
    for (let i = 0; i < n; i++) {
      const a = labels[i];
      if (forceFull) {
        if (assignFully(i, kernel.rowDots(i, k), 0)) changed++;
        continue;
      }
      upper[i] += shift[a];
      lower[i] -= a === maxShiftCluster ? secondShift : maxShift;
      const bound = halfGap[a] > lower[i] ? halfGap[a] : lower[i];
      if (upper[i] <= bound) continue;
      upper[i] = dist(norms[i], kernel.dot(i, a), cNorms[a]);
      if (upper[i] <= bound) continue;
      if (assignFully(i, kernel.rowDots(i, k), 0)) changed++;
    }
    forceFull = false;
    yield { restart, restarts, iteration: iter, changed };
    if (changed === 0 || totalShift2 <= tol) break;
  }

  let inertia = 0;
  for (let i = 0; i < n; i++) {
    const a = labels[i];
    const d2 = norms[i] - 2 * kernel.dot(i, a) + cNorms[a];
    inertia += d2 > 0 ? d2 : 0;
  }
  return { labels, centers: centers.slice(), inertia, iterations };
}

/**
 * Gives every empty cluster the row farthest (by its upper bound) from its own centre, taken from a
 * cluster that keeps at least one row. Returns whether anything moved.
 */
function relocateEmptyClusters(
  data: Float32Array,
  n: number,
  dim: number,
  k: number,
  labels: Int32Array,
  counts: Int32Array,
  sums: Float64Array,
  upper: Float64Array,
): boolean {
  let moved = false;
  for (let j = 0; j < k; j++) {
    if (counts[j] > 0) continue;
    let far = -1;
    for (let i = 0; i < n; i++) {
      if (counts[labels[i]] > 1 && (far < 0 || upper[i] > upper[far])) far = i;
    }
    if (far < 0) throw new Error('k-means: cannot fill an empty cluster (fewer distinct rows than clusters)');
    const from = labels[far];
    const o = far * dim;
    for (let d = 0; d < dim; d++) {
      sums[from * dim + d] -= data[o + d];
      sums[j * dim + d] = data[o + d];
    }
    counts[from]--;
    counts[j] = 1;
    labels[far] = j;
    upper[far] = 0;
    moved = true;
  }
  return moved;
}
