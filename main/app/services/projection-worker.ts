// Worker thread: 2-D UMAP of L2-normalised vectors, after their PCA (map-pca.ts). Runs off the services'
// thread because the PCA holds it for seconds and UMAP's neighbour search, synchronous, for tens of
// seconds on 10,000 images; the app must keep answering.
import { parentPort, workerData } from 'node:worker_threads';
import { UMAP } from 'umap-js';
import { createRng } from '../../base/random.ts';
import { reduceForMap } from './map-pca.ts';

export interface ProjectionJob {
  data: Float32Array;
  n: number;
  dim: number;
  seed: number;
  nNeighbors: number;
  minDist: number;
}

export type ProjectionMessage =
  { type: 'progress'; phase: 'neighbours' | 'layout'; epoch: number; epochs: number } | { type: 'done'; coords: Float32Array } | { type: 'error'; message: string };

async function main(job: ProjectionJob): Promise<Float32Array> {
  parentPort!.postMessage({ type: 'progress', phase: 'neighbours', epoch: 0, epochs: 0 } satisfies ProjectionMessage);
  const { data, dim } = await reduceForMap(job.data, job.n, job.dim, job.seed);
  const rows: number[][] = new Array(job.n);
  for (let i = 0; i < job.n; i++) rows[i] = Array.from(data.subarray(i * dim, (i + 1) * dim));
  const rng = createRng(job.seed);
  const umap = new UMAP({
    nComponents: 2,
    nNeighbors: Math.min(job.nNeighbors, job.n - 1),
    minDist: job.minDist,
    // umap-js's layout epochs dominate on large sets; fewer still give a readable map.
    nEpochs: job.n >= 5000 ? 120 : job.n >= 1000 ? 250 : 400,
    random: () => rng.next(),
  });
  const epochs = umap.initializeFit(rows);
  for (let e = 0; e < epochs; e++) {
    if (e % 10 === 0) parentPort!.postMessage({ type: 'progress', phase: 'layout', epoch: e, epochs } satisfies ProjectionMessage);
    umap.step();
  }
  const embedding = umap.getEmbedding();
  return scaleToUnit(embedding);
}

/** Each axis to 0..1, so the renderer needs no bounds. */
function scaleToUnit(points: number[][]): Float32Array {
  const out = new Float32Array(points.length * 2);
  for (let axis = 0; axis < 2; axis++) {
    let lo = Infinity;
    let hi = -Infinity;
    for (const p of points) {
      lo = Math.min(lo, p[axis]);
      hi = Math.max(hi, p[axis]);
    }
    const span = hi - lo || 1;
    points.forEach((p, i) => (out[i * 2 + axis] = (p[axis] - lo) / span));
  }
  return out;
}

if (parentPort) {
  main(workerData as ProjectionJob).then(
    (coords) => parentPort!.postMessage({ type: 'done', coords } satisfies ProjectionMessage, [coords.buffer as ArrayBuffer]),
    (err: unknown) => parentPort!.postMessage({ type: 'error', message: err instanceof Error ? err.message : String(err) } satisfies ProjectionMessage),
  );
}
