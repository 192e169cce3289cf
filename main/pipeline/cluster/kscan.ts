// Choosing K without labels: k-means at each K of a range, scored by the mean silhouette (cosine
// distance, on a subsample) and, on request, by stability (ARI between two seeds). Proposes the K with
// the highest silhouette (ties: the smaller K).
import type { Project } from '../../project/project.ts';
import { loadEmbeddingMatrix } from '../../db/embeddings-repo.ts';
import { chooseEmbeddedBackbone } from './backbone-choice.ts';
import { createDotKernel } from './dot-kernel.ts';
import { ClusteringInputError } from './clustering-errors.ts';
import { kmeansAsync } from './kmeans.ts';
import { adjustedRandIndex, contingencyTable } from './metrics.ts';
import { createRng, DEFAULT_SEED } from '../../base/random.ts';

export interface KScanOptions {
  kMin: number;
  kMax: number;
  seed?: number;
  /** k-means restarts per K (default 3: a scan trades a little inertia for time). */
  restarts?: number;
  /** k-means is fitted on at most this many rows, sampled (default 5000). */
  maxPoints?: number;
  /** Silhouette is computed on at most this many of those rows (default 1000). */
  silhouetteSample?: number;
  /** Also fit a second seed per K and report the ARI between the two (default false). */
  stability?: boolean;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number, message: string) => void;
}

export interface KScanRow {
  k: number;
  /** Mean silhouette on cosine distance, -1..1; higher is better. */
  silhouette: number;
  inertia: number;
  /** ARI between the clusterings of two seeds, or null when not measured. */
  stability: number | null;
}

export interface KScanResult {
  rows: KScanRow[];
  proposedK: number;
  criterion: 'silhouette';
  n: number;
  fitPoints: number;
  silhouettePoints: number;
}

export const MAX_SCAN_KS = 100;

/** Parses '12' or '5..30' into an inclusive range. */
export function parseKRange(text: string): { kMin: number; kMax: number } {
  const m = /^\s*(\d+)\s*(?:\.\.\s*(\d+)\s*)?$/.exec(text);
  if (!m) throw new ClusteringInputError(`k must be a number or a range like 5..30, got '${text}'`);
  const kMin = Number(m[1]);
  const kMax = m[2] === undefined ? kMin : Number(m[2]);
  if (kMin < 2) throw new ClusteringInputError(`k must be at least 2, got ${kMin}`);
  if (kMax < kMin) throw new ClusteringInputError(`the range ${kMin}..${kMax} is empty`);
  if (kMax - kMin + 1 > MAX_SCAN_KS) throw new ClusteringInputError(`a scan covers at most ${MAX_SCAN_KS} values of k`);
  return { kMin, kMax };
}

export async function scanK(data: Float32Array, n: number, dim: number, options: KScanOptions): Promise<KScanResult> {
  const { kMin, kMax } = options;
  if (!Number.isInteger(kMin) || !Number.isInteger(kMax) || kMin < 2 || kMax < kMin) throw new ClusteringInputError(`invalid k range ${kMin}..${kMax}`);
  const seed = options.seed ?? DEFAULT_SEED;
  const restarts = options.restarts ?? 3;
  const rng = createRng(seed ^ 0x5ca9);
  const fitIdx = rng.permutation(n).subarray(0, Math.min(n, options.maxPoints ?? 5000));
  const fitN = fitIdx.length;
  if (kMax > fitN) throw new ClusteringInputError(`k=${kMax} is more than the ${fitN} rows available`);
  const fitData = gatherRows(data, dim, fitIdx);
  // The silhouette sample is the first rows of the (already shuffled) fit sample.
  const silN = Math.min(fitN, options.silhouetteSample ?? 1000);
  const distances = cosineDistances(fitData, silN, dim);

  const ks: number[] = [];
  for (let k = kMin; k <= kMax; k++) ks.push(k);
  const rows: KScanRow[] = [];
  const total = ks.length * (options.stability ? 2 : 1);
  let done = 0;
  for (const k of ks) {
    options.signal?.throwIfAborted();
    const fit = await kmeansAsync(fitData, fitN, dim, k, { seed: seed + k, restarts, signal: options.signal });
    done++;
    let stability: number | null = null;
    if (options.stability) {
      const other = await kmeansAsync(fitData, fitN, dim, k, { seed: seed + k + 7919, restarts, signal: options.signal });
      stability = adjustedRandIndex(contingencyTable([...fit.labels], [...other.labels]));
      done++;
    }
    const silhouette = meanSilhouette(distances, silN, fit.labels, k);
    rows.push({ k, silhouette, inertia: fit.inertia, stability });
    options.onProgress?.(done, total, `k=${k}: silhouette ${silhouette.toFixed(4)}${stability === null ? '' : `, stability ${stability.toFixed(3)}`}`);
  }
  let best = rows[0];
  for (const r of rows) if (r.silhouette > best.silhouette) best = r;
  return { rows, proposedK: best.k, criterion: 'silhouette', n, fitPoints: fitN, silhouettePoints: silN };
}

/** A scan over a backbone's plain embeddings, as a 'cluster' job. */
export async function runKScan(project: Project, options: Omit<KScanOptions, 'onProgress'> & { backbone?: string }): Promise<KScanResult> {
  const backbone = chooseEmbeddedBackbone(project.db, options.backbone);
  const { signal, backbone: _spec, ...rest } = options;
  return project.jobs.run(
    'cluster',
    { method: 'kscan', backboneId: backbone.id, ...rest },
    async (ctx) => {
      const matrix = loadEmbeddingMatrix(project.db, backbone.id, 'plain');
      ctx.stage('k scan', (options.kMax - options.kMin + 1) * (options.stability ? 2 : 1), 'fits');
      const result = await scanK(matrix.data, matrix.imageIds.length, matrix.dim, {
        ...rest,
        signal: ctx.signal,
        onProgress: (done, _total, message) => ctx.progress(done, message),
      });
      ctx.log(`k scan: proposed k=${result.proposedK} (highest mean silhouette)`);
      return result;
    },
    signal,
  );
}

/**
 * Mean silhouette over the first `m` rows, from their m x m distance matrix. A row alone in its
 * cluster scores 0 (as scikit-learn); clusters with no sampled row are ignored.
 */
export function meanSilhouette(distances: Float32Array, m: number, labels: Int32Array, k: number): number {
  const sizes = new Int32Array(k);
  for (let i = 0; i < m; i++) sizes[labels[i]]++;
  const sums = new Float64Array(k);
  let total = 0;
  for (let i = 0; i < m; i++) {
    sums.fill(0);
    const o = i * m;
    for (let j = 0; j < m; j++) sums[labels[j]] += distances[o + j];
    const own = labels[i];
    if (sizes[own] <= 1) continue;
    const a = sums[own] / (sizes[own] - 1);
    let b = Infinity;
    for (let c = 0; c < k; c++) if (c !== own && sizes[c] > 0 && sums[c] / sizes[c] < b) b = sums[c] / sizes[c];
    if (b === Infinity) continue;
    const denom = Math.max(a, b);
    total += denom > 0 ? (b - a) / denom : 0;
  }
  return total / m;
}

/** 1 - cosine similarity between the first m rows (rows need not be normalised), m x m. */
export function cosineDistances(data: Float32Array, m: number, dim: number): Float32Array {
  const unit = new Float32Array(m * dim);
  for (let i = 0; i < m; i++) {
    let s = 0;
    for (let d = 0; d < dim; d++) s += data[i * dim + d] * data[i * dim + d];
    const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let d = 0; d < dim; d++) unit[i * dim + d] = data[i * dim + d] * inv;
  }
  const kernel = createDotKernel(unit, m, dim, m);
  kernel.centers.set(unit);
  const sims = kernel.allDots(m);
  const out = new Float32Array(m * m);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < m; j++) out[i * m + j] = i === j ? 0 : 1 - sims[i * m + j];
  }
  return out;
}

function gatherRows(data: Float32Array, dim: number, idx: Int32Array): Float32Array {
  const out = new Float32Array(idx.length * dim);
  for (let i = 0; i < idx.length; i++) out.set(data.subarray(idx[i] * dim, idx[i] * dim + dim), i * dim);
  return out;
}
