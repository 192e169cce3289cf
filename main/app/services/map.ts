// map.*: a 2-D map of a run's images. UMAP runs once per backbone (in a worker thread) on the plain
// embeddings (of a sample of 10,000 when there are more; the rest are placed among their nearest sampled
// images, map-sample.ts) and is stored in `projections`; a run only colours the points by its clusters.
import type { MapApi, MapPoint, Projection } from '../../../preload/contract/api.ts';
import type { Db } from '../../db/connection.ts';
import { getProjection, saveProjection } from '../../db/derived-repo.ts';
import { plainEmbeddingStamp } from '../../db/embeddings-repo.ts';
import { blobToFloat32, clustersOfRun, float32ToBlob } from '../../db/runs-repo.ts';
import { DEFAULT_SEED } from '../../base/random.ts';
import { spawnModuleWorker } from '../../pipeline/embed/worker-pool.ts';
import { requireRun } from './clusters.ts';
import type { ServiceContext } from './context.ts';
import { ApiError } from './api-errors.ts';
import { plainMatrix } from './image.ts';
import type { ProjectionJob, ProjectionMessage } from './projection-worker.ts';
import { gatherRows, mapSample, placeAroundSample } from './map-sample.ts';

export const UMAP_PARAMS = { nNeighbors: 15, minDist: 0.1, seed: DEFAULT_SEED } as const;
/** UMAP needs more points than neighbours. */
const MIN_POINTS = UMAP_PARAMS.nNeighbors + 2;

interface StoredProjection {
  imageIds: Int32Array;
  coords: Float32Array;
}

export interface MapService extends MapApi {
  /** Computes a backbone's map in the background if it is not stored yet (after a clustering job). */
  warm(backboneId: number): void;
}

export function createMapService(ctx: ServiceContext): MapService {
  const { session } = ctx;
  // Concurrent requests for one backbone share one computation.
  const inflight = new Map<string, Promise<StoredProjection>>();

  const ensure = (backboneId: number): { stored: StoredProjection | null; pending: Promise<StoredProjection> | null } => {
    const project = session.requireProject();
    const db = project.db;
    const signature = embeddingSignature(db, backboneId);
    const stored = loadStored(db, backboneId, signature);
    if (stored) return { stored, pending: null };
    const key = `${project.dir}\0${backboneId}\0${signature}`;
    let pending = inflight.get(key);
    if (!pending) {
      pending = computeAndStore(ctx, db, backboneId, signature).finally(() => inflight.delete(key));
      inflight.set(key, pending);
    }
    return { stored: null, pending };
  };

  return {
    warm(backboneId) {
      try {
        // A failure here is not worth reporting: the map screen will ask again and show the error.
        ensure(backboneId).pending?.catch(() => undefined);
      } catch {
        // no project, or too few images for a map
      }
    },

    async projection({ runId }): Promise<Projection> {
      const db = session.requireProject().db;
      const run = requireRun(db, runId);
      const found = ensure(run.backboneId);
      const cached = found.stored !== null;
      const stored = found.stored ?? (await found.pending!);
      const clusterOf = new Map(clustersOfRun(db, runId));
      const points: MapPoint[] = [];
      for (let i = 0; i < stored.imageIds.length; i++) {
        const cluster = clusterOf.get(stored.imageIds[i]);
        if (cluster === undefined) continue;
        points.push({ imageId: stored.imageIds[i], x: stored.coords[i * 2], y: stored.coords[i * 2 + 1], cluster });
      }
      return { runId, backboneId: run.backboneId, points, cached };
    },
  };
}

/** Changes whenever plain embeddings of the backbone are added or removed. */
function embeddingSignature(db: Db, backboneId: number): string {
  const r = plainEmbeddingStamp(db, backboneId);
  return `${r.n}:${r.max ?? 0}`;
}

function loadStored(db: Db, backboneId: number, signature: string): StoredProjection | null {
  const row = getProjection(db, backboneId);
  if (!row || row.signature !== signature) return null;
  const ids = new Uint8Array(row.imageIds.byteLength);
  ids.set(row.imageIds);
  return { imageIds: new Int32Array(ids.buffer), coords: blobToFloat32(row.coords) };
}

async function computeAndStore(ctx: ServiceContext, db: Db, backboneId: number, signature: string): Promise<StoredProjection> {
  const m = plainMatrix(ctx.session, db, backboneId);
  const n = m.imageIds.length;
  if (n < MIN_POINTS) throw new ApiError('invalid-argument', `a map needs at least ${MIN_POINTS} embedded images, this backbone has ${n}`);
  const push = (phase: 'neighbours' | 'layout' | 'placing', done: number, total: number, etaSeconds: number | null) =>
    ctx.session.push({ type: 'map-progress', backboneId, phase, done, total, etaSeconds });
  const sample = mapSample(n, UMAP_PARAMS.seed);
  const laidOut = sample ? gatherRows(m.data, m.dim, sample) : m.data;
  let layoutStarted = 0;
  const layout = await runProjectionWorker({ data: laidOut, n: sample ? sample.length : n, dim: m.dim, ...UMAP_PARAMS }, (p) => {
    if (p.phase === 'layout' && p.epoch === 0) layoutStarted = performance.now();
    const perEpoch = p.epoch > 0 ? (performance.now() - layoutStarted) / 1000 / p.epoch : null;
    push(p.phase, p.epoch, p.epochs, perEpoch === null ? null : Math.round(perEpoch * (p.epochs - p.epoch)));
  });
  const coords = sample ? await placeAroundSample(m.data, n, m.dim, sample, layout, { onProgress: (done, total) => push('placing', done, total, null) }) : layout;
  const imageIds = Int32Array.from(m.imageIds);
  saveProjection(db, backboneId, { params: JSON.stringify(UMAP_PARAMS), signature, imageIds: Buffer.from(imageIds.buffer), coords: float32ToBlob(coords) }, Date.now());
  return { imageIds, coords };
}

const liveWorkers = new Set<{ terminate(): Promise<number> }>();

/** Stops map computations still running (the app is closing). */
export function stopProjectionWorkers(): void {
  for (const w of liveWorkers) void w.terminate();
  liveWorkers.clear();
}

/** Runs projection-worker in a worker thread (from sources through tsx; in the app, the bundled .mjs). */
export function runProjectionWorker(job: ProjectionJob, onProgress?: (p: Extract<ProjectionMessage, { type: 'progress' }>) => void): Promise<Float32Array> {
  return new Promise((resolve, reject) => {
    const worker = spawnModuleWorker(new URL('./projection-worker.ts', import.meta.url), job);
    liveWorkers.add(worker);
    worker.once('exit', () => liveWorkers.delete(worker));
    let settled = false;
    worker.on('message', (msg: ProjectionMessage) => {
      if (msg.type === 'progress') onProgress?.(msg);
      else if (msg.type === 'done') {
        settled = true;
        resolve(msg.coords);
        void worker.terminate();
      } else if (msg.type === 'error') {
        settled = true;
        reject(new Error(`map projection failed: ${msg.message}`));
        void worker.terminate();
      }
    });
    worker.on('error', (err) => {
      if (!settled) reject(err);
      settled = true;
    });
    worker.on('exit', (code) => {
      if (!settled) reject(new Error(`map projection worker stopped (exit code ${code})`));
      settled = true;
    });
  });
}
