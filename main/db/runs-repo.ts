// Clustering runs and their per-image assignments (tables `runs` and `assignments`, migration 002).
import type { Db } from './connection.ts';

/** 'refine': SPICE-Semi trained on the person's labels, starting from an earlier run (pipeline/label/refine.ts). */
export type RunMethod = 'kmeans' | 'spice-self' | 'spice' | 'refine';
/** 'interrupted': the process running it died. */
export type RunState = 'running' | 'done' | 'failed' | 'cancelled' | 'interrupted';
export const RUN_METHODS: readonly RunMethod[] = ['kmeans', 'spice-self', 'spice', 'refine'];

export interface NewRun {
  method: RunMethod;
  backboneId: number;
  k: number;
  seed: number;
  params: Record<string, unknown>;
  jobId?: number | null;
}

export interface RunRecord {
  id: number;
  method: RunMethod;
  backboneId: number;
  k: number;
  seed: number;
  params: Record<string, unknown>;
  /** Free-form JSON the method leaves behind (selected head, losses, relaxed thresholds, ...). */
  report: Record<string, unknown> | null;
  /** Seconds per stage. */
  timings: Record<string, number> | null;
  state: RunState;
  jobId: number | null;
  /** The earlier run whose cluster names were carried over to this one. */
  namesFrom: number | null;
  createdAt: number;
  finishedAt: number | null;
}

export interface Assignment {
  imageId: number;
  cluster: number;
  /** Probability-like score of the assigned cluster, 0..1. */
  confidence: number;
  /** Higher = more likely misassigned; used to sort a cluster's grid so doubtful images come first. */
  doubt: number;
  reliable: boolean;
  /** Per-cluster probabilities, length k. */
  probs: Float32Array;
}

/** Assignments of one run as parallel columns, in image-id order (cheap for metrics and export). */
export interface AssignmentColumns {
  imageIds: number[];
  clusters: Int32Array;
  confidence: Float32Array;
  doubt: Float32Array;
  reliable: Uint8Array;
}

export function createRun(db: Db, run: NewRun): number {
  if (!RUN_METHODS.includes(run.method)) throw new Error(`unknown clustering method '${run.method}'`);
  if (!Number.isInteger(run.k) || run.k < 1) throw new Error(`k must be a positive integer, got ${run.k}`);
  if (!Number.isInteger(run.seed)) throw new Error(`seed must be an integer, got ${run.seed}`);
  const info = db
    .prepare(`INSERT INTO runs (method, backbone_id, k, seed, params, state, job_id, created_at) VALUES (?, ?, ?, ?, ?, 'running', ?, ?)`)
    .run(run.method, run.backboneId, run.k, run.seed, JSON.stringify(run.params ?? {}), run.jobId ?? null, Date.now());
  return Number(info.lastInsertRowid);
}

/**
 * Stores (or replaces) assignments of a run in one transaction, so a rerun of the same rows
 * neither duplicates nor half-writes them.
 */
export function saveAssignments(db: Db, runId: number, rows: readonly Assignment[]): void {
  const run = getRun(db, runId);
  if (!run) throw new Error(`run ${runId} does not exist`);
  const insert = db.prepare(
    `INSERT OR REPLACE INTO assignments (run_id, image_id, cluster, confidence, doubt, reliable, probs) VALUES (?, ?, ?, ?, ?, ?, ?)`,
  );
  db.transaction(() => {
    for (const r of rows) {
      if (!Number.isInteger(r.cluster) || r.cluster < 0 || r.cluster >= run.k) {
        throw new Error(`run ${runId}: cluster ${r.cluster} of image ${r.imageId} is outside 0..${run.k - 1}`);
      }
      if (r.probs.length !== run.k) throw new Error(`run ${runId}: probs of image ${r.imageId} have length ${r.probs.length}, expected ${run.k}`);
      insert.run(runId, r.imageId, r.cluster, finiteOr(r.confidence, 0), finiteOr(r.doubt, 0), r.reliable ? 1 : 0, float32ToBlob(r.probs));
    }
  }).immediate();
}

/** Marks only the given images reliable (and every other image of the run not reliable). */
export function setReliable(db: Db, runId: number, reliableImageIds: Iterable<number>): void {
  const mark = db.prepare('UPDATE assignments SET reliable = 1 WHERE run_id = ? AND image_id = ?');
  db.transaction(() => {
    db.prepare('UPDATE assignments SET reliable = 0 WHERE run_id = ?').run(runId);
    for (const id of reliableImageIds) mark.run(runId, id);
  }).immediate();
}

export function finishRun(
  db: Db,
  runId: number,
  result: { state: Exclude<RunState, 'running'>; report?: Record<string, unknown>; timings?: Record<string, number> },
): void {
  const info = db
    .prepare('UPDATE runs SET state = ?, report = COALESCE(?, report), timings = COALESCE(?, timings), finished_at = ? WHERE id = ?')
    .run(
      result.state,
      result.report === undefined ? null : JSON.stringify(result.report),
      result.timings === undefined ? null : JSON.stringify(result.timings),
      Date.now(),
      runId,
    );
  if (info.changes === 0) throw new Error(`run ${runId} does not exist`);
}

/** Merges keys into a run's report without touching the rest (e.g. a stage adds its figures). */
export function updateRunReport(db: Db, runId: number, patch: Record<string, unknown>): void {
  const run = getRun(db, runId);
  if (!run) throw new Error(`run ${runId} does not exist`);
  db.prepare('UPDATE runs SET report = ? WHERE id = ?').run(JSON.stringify({ ...(run.report ?? {}), ...patch }), runId);
}

export function getRun(db: Db, runId: number): RunRecord | undefined {
  const row = db.prepare('SELECT * FROM runs WHERE id = ?').get(runId) as RunRow | undefined;
  return row ? toRecord(row) : undefined;
}

/** Runs, newest first, optionally filtered. */
export function listRuns(db: Db, filter: { method?: RunMethod; state?: RunState; backboneId?: number } = {}): RunRecord[] {
  const where: string[] = [];
  const args: Array<string | number> = [];
  if (filter.method) {
    where.push('method = ?');
    args.push(filter.method);
  }
  if (filter.state) {
    where.push('state = ?');
    args.push(filter.state);
  }
  if (filter.backboneId !== undefined) {
    where.push('backbone_id = ?');
    args.push(filter.backboneId);
  }
  const sql = `SELECT * FROM runs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC`;
  return (db.prepare(sql).all(...args) as RunRow[]).map(toRecord);
}

export function setNamesFrom(db: Db, runId: number, fromRunId: number | null): void {
  db.prepare('UPDATE runs SET names_from = ? WHERE id = ?').run(fromRunId, runId);
}

export function deleteRun(db: Db, runId: number): boolean {
  return db.prepare('DELETE FROM runs WHERE id = ?').run(runId).changes > 0;
}

export function loadAssignments(db: Db, runId: number): Assignment[] {
  const rows = db
    .prepare('SELECT image_id, cluster, confidence, doubt, reliable, probs FROM assignments WHERE run_id = ? ORDER BY image_id')
    .all(runId) as AssignmentRow[];
  return rows.map((r) => ({
    imageId: r.image_id,
    cluster: r.cluster,
    confidence: r.confidence,
    doubt: r.doubt,
    reliable: r.reliable === 1,
    probs: blobToFloat32(r.probs),
  }));
}

export function loadAssignmentColumns(db: Db, runId: number): AssignmentColumns {
  const rows = db
    .prepare('SELECT image_id, cluster, confidence, doubt, reliable FROM assignments WHERE run_id = ? ORDER BY image_id')
    .all(runId) as Array<Omit<AssignmentRow, 'probs'>>;
  const n = rows.length;
  const out: AssignmentColumns = {
    imageIds: new Array<number>(n),
    clusters: new Int32Array(n),
    confidence: new Float32Array(n),
    doubt: new Float32Array(n),
    reliable: new Uint8Array(n),
  };
  rows.forEach((r, i) => {
    out.imageIds[i] = r.image_id;
    out.clusters[i] = r.cluster;
    out.confidence[i] = r.confidence;
    out.doubt[i] = r.doubt;
    out.reliable[i] = r.reliable;
  });
  return out;
}

export function countAssignments(db: Db, runId: number): number {
  return (db.prepare('SELECT COUNT(*) AS n FROM assignments WHERE run_id = ?').get(runId) as { n: number }).n;
}

/** Number of images per cluster, length k (clusters with no image count 0). */
export function clusterSizes(db: Db, runId: number): number[] {
  const run = getRun(db, runId);
  if (!run) throw new Error(`run ${runId} does not exist`);
  const sizes = new Array<number>(run.k).fill(0);
  const rows = db.prepare('SELECT cluster, COUNT(*) AS n FROM assignments WHERE run_id = ? GROUP BY cluster').all(runId) as Array<{ cluster: number; n: number }>;
  for (const r of rows) sizes[r.cluster] = r.n;
  return sizes;
}

export function float32ToBlob(v: Float32Array): Buffer {
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

/** Copies into a fresh, aligned buffer: SQLite blobs need not start on a 4-byte boundary. */
export function blobToFloat32(b: Buffer | Uint8Array): Float32Array {
  if (b.byteLength % 4 !== 0) throw new Error(`float32 blob has ${b.byteLength} bytes, not a multiple of 4`);
  const copy = new Uint8Array(b.byteLength);
  copy.set(b);
  return new Float32Array(copy.buffer);
}

function finiteOr(x: number, fallback: number): number {
  return Number.isFinite(x) ? x : fallback;
}

interface RunRow {
  id: number;
  method: RunMethod;
  backbone_id: number;
  k: number;
  seed: number;
  params: string;
  report: string | null;
  timings: string | null;
  state: RunState;
  job_id: number | null;
  names_from: number | null;
  created_at: number;
  finished_at: number | null;
}

interface AssignmentRow {
  image_id: number;
  cluster: number;
  confidence: number;
  doubt: number;
  reliable: number;
  probs: Buffer;
}

function toRecord(r: RunRow): RunRecord {
  return {
    id: r.id,
    method: r.method,
    backboneId: r.backbone_id,
    k: r.k,
    seed: r.seed,
    params: JSON.parse(r.params) as Record<string, unknown>,
    report: r.report === null ? null : (JSON.parse(r.report) as Record<string, unknown>),
    timings: r.timings === null ? null : (JSON.parse(r.timings) as Record<string, number>),
    state: r.state,
    jobId: r.job_id,
    namesFrom: r.names_from,
    createdAt: r.created_at,
    finishedAt: r.finished_at,
  };
}

/**
 * Marks runs still 'running' whose job is no longer running (its process died: the job runner marked
 * it 'interrupted' on open) as 'interrupted', so they are not mistaken for live or finished work.
 * A run whose job ended some other way without finishing it takes that job's end state.
 * Returns how many were marked.
 */
export function markStaleRuns(db: Db): number {
  return db
    .prepare(
      `UPDATE runs SET
         state = COALESCE((SELECT CASE j.state WHEN 'failed' THEN 'failed' WHEN 'cancelled' THEN 'cancelled' ELSE 'interrupted' END
                           FROM jobs j WHERE j.id = runs.job_id), 'interrupted'),
         finished_at = ?
       WHERE state = 'running' AND job_id IS NOT NULL
         AND job_id NOT IN (SELECT id FROM jobs WHERE state = 'running')`,
    )
    .run(Date.now()).changes;
}
