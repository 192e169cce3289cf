// k-means on a backbone's plain embeddings, stored as a clustering run (method 'kmeans') by a 'cluster' job.
import type { Project } from '../../project/project.ts';
import type { Db } from '../../db/connection.ts';
import { DEFAULT_SEED } from '../../base/random.ts';
import { loadEmbeddingMatrix } from '../../db/embeddings-repo.ts';
import { getRunModelRow, saveRunModelRow } from '../../db/run-models-repo.ts';
import { chooseEmbeddedBackbone } from './backbone-choice.ts';
import { ClusteringInputError } from './clustering-errors.ts';
import { createDotKernel } from './dot-kernel.ts';
import { kmeansAsync, rowSquaredNorms } from './kmeans.ts';
import { carryOverClusterNames, describeCarryOver } from './name-carryover.ts';
import { createRun, finishRun, markStaleRuns, saveAssignments } from '../../db/runs-repo.ts';
import { assignmentRows } from './assignment-rows.ts';
import { recordStoppedRun } from './stopped-run.ts';

export interface KmeansRunOptions {
  /** Backbone name or weights path; default: the newest backbone with embeddings. */
  backbone?: string;
  k: number;
  seed?: number;
  restarts?: number;
  maxIter?: number;
  signal?: AbortSignal;
}

export const DEFAULT_RESTARTS = 10;
export const DEFAULT_MAX_ITER = 100;

/** Runs k-means and stores the result; returns the run id. */
export async function runKmeans(project: Project, options: KmeansRunOptions): Promise<number> {
  const backbone = chooseEmbeddedBackbone(project.db, options.backbone);
  const seed = options.seed ?? DEFAULT_SEED;
  const restarts = options.restarts ?? DEFAULT_RESTARTS;
  const maxIter = options.maxIter ?? DEFAULT_MAX_ITER;
  if (!Number.isInteger(options.k) || options.k < 2) throw new ClusteringInputError(`k must be an integer of at least 2, got ${options.k}`);
  if (backbone.embedded < options.k) throw new ClusteringInputError(`k=${options.k} is more than the ${backbone.embedded} embedded images`);
  const params = { method: 'kmeans', backboneId: backbone.id, k: options.k, seed, restarts, maxIter };

  return project.jobs.run(
    'cluster',
    params,
    async (ctx) => {
      markStaleRuns(project.db);
      const runId = createRun(project.db, {
        method: 'kmeans',
        backboneId: backbone.id,
        k: options.k,
        seed,
        params: { restarts, maxIter, view: 'plain' },
        jobId: ctx.jobId,
      });
      try {
        const timings: Record<string, number> = {};
        let t = performance.now();
        ctx.stage('load embeddings', null, 'images');
        const matrix = loadEmbeddingMatrix(project.db, backbone.id, 'plain');
        ctx.progress(matrix.imageIds.length);
        timings.load = (performance.now() - t) / 1000;
        ctx.log(`k-means: ${matrix.imageIds.length} images x ${matrix.dim} (${backbone.name}), k=${options.k}, ${restarts} restarts, seed ${seed}`);

        t = performance.now();
        ctx.stage('k-means', restarts, 'restarts');
        const result = await kmeansAsync(matrix.data, matrix.imageIds.length, matrix.dim, options.k, {
          seed,
          restarts,
          maxIter,
          signal: ctx.signal,
          onProgress: (p) => ctx.progress(p.restart, `restart ${p.restart + 1}/${p.restarts}, iteration ${p.iteration}, ${p.changed} moved`),
        });
        ctx.progress(restarts);
        timings.kmeans = (performance.now() - t) / 1000;
        ctx.throwIfCancelled();

        t = performance.now();
        ctx.stage('save', matrix.imageIds.length, 'images');
        const scores = scoreAssignments(matrix.data, matrix.imageIds.length, matrix.dim, result.centroids, options.k, result.labels);
        saveAssignments(project.db, runId, assignmentRows(matrix.imageIds, options.k, { labels: result.labels, ...scores, reliable: null }));
        saveCentroids(project.db, runId, result.centroids, options.k, matrix.dim, scores.temperature);
        ctx.progress(matrix.imageIds.length);
        timings.save = (performance.now() - t) / 1000;

        const sizes = new Array<number>(options.k).fill(0);
        for (const l of result.labels) sizes[l]++;
        finishRun(project.db, runId, {
          state: 'done',
          report: {
            backbone: backbone.name,
            n: matrix.imageIds.length,
            dim: matrix.dim,
            inertia: result.inertia,
            restartInertias: result.restartInertias,
            bestRestart: result.bestRestart,
            iterations: result.iterations,
            temperature: scores.temperature,
            clusterSizes: sizes,
          },
          timings,
        });
        ctx.log(`k-means: run ${runId} done, inertia ${result.inertia.toFixed(2)}, cluster sizes ${sizes.join(' ')}`);
        ctx.log(describeCarryOver(carryOverClusterNames(project.db, runId)));
        return runId;
      } catch (err) {
        throw recordStoppedRun(project.db, runId, err, ctx.signal);
      }
    },
    options.signal,
  );
}

export interface AssignmentScores {
  /** n x k, rows sum to 1. */
  probs: Float32Array;
  confidence: Float32Array;
  /** Distance to the own centroid over distance to the next one: 0 on the centroid, 1 on the border. */
  doubt: Float32Array;
  /** Softmax temperature over squared distances. */
  temperature: number;
}

/**
 * Probabilities from a softmax over negative squared distances to the centroids. The temperature is
 * set from the data, so that a row with the median margin (second-nearest minus nearest squared
 * distance) gets 9:1 odds for its own cluster over the runner-up; confidence is then comparable
 * across backbones whose distances live on different scales. New images (classify) reuse the run's
 * temperature instead.
 */
export function scoreAssignments(
  data: Float32Array,
  n: number,
  dim: number,
  centroids: Float32Array,
  k: number,
  labels: Int32Array,
  fixedTemperature?: number,
): AssignmentScores {
  const norms = rowSquaredNorms(data, n, dim);
  const cNorms = rowSquaredNorms(centroids, k, dim);
  const d2 = new Float64Array(n * k);
  const margins = new Float64Array(n);
  const doubt = new Float32Array(n);
  const kernel = createDotKernel(data, n, dim, k);
  kernel.centers.set(centroids.subarray(0, k * dim));
  const dots = kernel.allDots(k);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < k; j++) {
      const v = norms[i] - 2 * dots[i * k + j] + cNorms[j];
      d2[i * k + j] = v > 0 ? v : 0;
    }
    const own = d2[i * k + labels[i]];
    let next = Infinity;
    for (let j = 0; j < k; j++) if (j !== labels[i] && d2[i * k + j] < next) next = d2[i * k + j];
    margins[i] = k > 1 ? next - own : 0;
    doubt[i] = k > 1 && next > 0 ? Math.min(1, Math.sqrt(own / next)) : 0;
  }
  const sorted = Float64Array.from(margins).sort();
  const medianMargin = sorted[Math.floor(n / 2)];
  const temperature = fixedTemperature ?? (medianMargin > 0 ? medianMargin / Math.log(9) : 1);
  const probs = new Float32Array(n * k);
  const confidence = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let min = Infinity;
    for (let j = 0; j < k; j++) if (d2[i * k + j] < min) min = d2[i * k + j];
    let total = 0;
    for (let j = 0; j < k; j++) total += Math.exp(-(d2[i * k + j] - min) / temperature);
    for (let j = 0; j < k; j++) probs[i * k + j] = Math.exp(-(d2[i * k + j] - min) / temperature) / total;
    confidence[i] = probs[i * k + labels[i]];
  }
  return { probs, confidence, doubt, temperature };
}

/** The centroids, so new images can be assigned later (`classify`): kind 'kmeans-centroids', data k x dim float32. */
function saveCentroids(db: Db, runId: number, centroids: Float32Array, k: number, dim: number, temperature: number): void {
  saveRunModelRow(db, runId, {
    kind: 'kmeans-centroids',
    spec: JSON.stringify({ k, dim, temperature, scores: 'softmax(-squared distance / temperature)' }),
    data: Buffer.from(centroids.buffer, centroids.byteOffset, centroids.byteLength),
  });
}

/**
 * Assigns new vectors (L2-normalised, like the stored embeddings) to the clusters of a k-means run,
 * with the run's own softmax temperature; for `classify`.
 */
export function predictKmeans(
  db: Db,
  runId: number,
  data: Float32Array,
  n: number,
  dim: number,
): { probs: Float32Array; labels: Int32Array; confidence: Float32Array; doubt: Float32Array } {
  const row = getRunModelRow(db, runId);
  if (!row || row.kind !== 'kmeans-centroids') throw new Error(`run ${runId} has no k-means centroids`);
  const spec = JSON.parse(row.spec) as { k: number; dim: number; temperature: number };
  if (spec.dim !== dim) throw new Error(`run ${runId} was clustered on ${spec.dim}-d embeddings, got ${dim}-d vectors`);
  if (data.length !== n * dim) throw new Error(`data has ${data.length} values, expected ${n} x ${dim}`);
  const copy = new Uint8Array(row.data.byteLength);
  copy.set(row.data);
  const centroids = new Float32Array(copy.buffer);
  const labels = new Int32Array(n);
  if (n === 0) return { probs: new Float32Array(0), labels, confidence: new Float32Array(0), doubt: new Float32Array(0) };
  const kernel = createDotKernel(data, n, dim, spec.k);
  kernel.centers.set(centroids);
  const dots = kernel.allDots(spec.k);
  const cNorms = rowSquaredNorms(centroids, spec.k, dim);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let j = 1; j < spec.k; j++) if (cNorms[j] - 2 * dots[i * spec.k + j] < cNorms[best] - 2 * dots[i * spec.k + best]) best = j;
    labels[i] = best;
  }
  const scores = scoreAssignments(data, n, dim, centroids, spec.k, labels, spec.temperature);
  return { probs: scores.probs, labels, confidence: scores.confidence, doubt: scores.doubt };
}
