// Clustering runs and their per-image assignments (tables `runs` and `assignments`, migration 002).
import type { Db } from './connection.ts';
import { insert, many, one, run as runSql, tuples, value, values } from './statements.ts';

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
  return insert(
    db,
    `INSERT INTO runs (method, backbone_id, k, seed, params, state, job_id, created_at) VALUES (?, ?, ?, ?, ?, 'running', ?, ?)`,
    run.method,
    run.backboneId,
    run.k,
    run.seed,
    JSON.stringify(run.params ?? {}),
    run.jobId ?? null,
    Date.now(),
  );
}

/**
 * Stores (or replaces) assignments of a run in one transaction, so a rerun of the same rows
 * neither duplicates nor half-writes them.
 */
export function saveAssignments(db: Db, runId: number, rows: readonly Assignment[]): void {
  const run = getRun(db, runId);
  if (!run) throw new Error(`run ${runId} does not exist`);
  db.transaction(() => {
    for (const r of rows) {
      if (!Number.isInteger(r.cluster) || r.cluster < 0 || r.cluster >= run.k) {
        throw new Error(`run ${runId}: cluster ${r.cluster} of image ${r.imageId} is outside 0..${run.k - 1}`);
      }
      if (r.probs.length !== run.k) throw new Error(`run ${runId}: probs of image ${r.imageId} have length ${r.probs.length}, expected ${run.k}`);
      runSql(
        db,
        'INSERT OR REPLACE INTO assignments (run_id, image_id, cluster, confidence, doubt, reliable, probs) VALUES (?, ?, ?, ?, ?, ?, ?)',
        runId,
        r.imageId,
        r.cluster,
        finiteOr(r.confidence, 0),
        finiteOr(r.doubt, 0),
        r.reliable ? 1 : 0,
        float32ToBlob(r.probs),
      );
    }
  }).immediate();
}

/** Marks only the given images reliable (and every other image of the run not reliable). */
export function setReliable(db: Db, runId: number, reliableImageIds: Iterable<number>): void {
  db.transaction(() => {
    runSql(db, 'UPDATE assignments SET reliable = 0 WHERE run_id = ?', runId);
    for (const id of reliableImageIds) runSql(db, 'UPDATE assignments SET reliable = 1 WHERE run_id = ? AND image_id = ?', runId, id);
  }).immediate();
}

export function finishRun(
  db: Db,
  runId: number,
  result: { state: Exclude<RunState, 'running'>; report?: Record<string, unknown>; timings?: Record<string, number> },
): void {
  const info = runSql(
    db,
    'UPDATE runs SET state = ?, report = COALESCE(?, report), timings = COALESCE(?, timings), finished_at = ? WHERE id = ?',
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
  runSql(db, 'UPDATE runs SET report = ? WHERE id = ?', JSON.stringify({ ...(run.report ?? {}), ...patch }), runId);
}

export function getRun(db: Db, runId: number): RunRecord | undefined {
  const row = one<RunRow>(db, 'SELECT * FROM runs WHERE id = ?', runId);
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
  return many<RunRow>(db, sql, ...args).map(toRecord);
}

export function runExists(db: Db, runId: number): boolean {
  return value(db, 'SELECT 1 FROM runs WHERE id = ?', runId) !== undefined;
}

export function setNamesFrom(db: Db, runId: number, fromRunId: number | null): void {
  runSql(db, 'UPDATE runs SET names_from = ? WHERE id = ?', fromRunId, runId);
}

export function deleteRun(db: Db, runId: number): boolean {
  return runSql(db, 'DELETE FROM runs WHERE id = ?', runId).changes > 0;
}

export function loadAssignments(db: Db, runId: number): Assignment[] {
  const rows = many<AssignmentRow>(db, 'SELECT image_id, cluster, confidence, doubt, reliable, probs FROM assignments WHERE run_id = ? ORDER BY image_id', runId);
  return rows.map(toAssignment);
}

export function loadAssignmentColumns(db: Db, runId: number): AssignmentColumns {
  const rows = many<Omit<AssignmentRow, 'probs'>>(db, 'SELECT image_id, cluster, confidence, doubt, reliable FROM assignments WHERE run_id = ? ORDER BY image_id', runId);
  const n = rows.length;
  const out: AssignmentColumns = {
    imageIds: new Array<number>(n),
    clusters: new Int32Array(n),
    confidence: new Float32Array(n),
    doubt: new Float32Array(n),
    reliable: new Uint8Array(n),
  };
  rows.forEach((r, i) => {
    out.imageIds[i] = r.imageId;
    out.clusters[i] = r.cluster;
    out.confidence[i] = r.confidence;
    out.doubt[i] = r.doubt;
    out.reliable[i] = r.reliable;
  });
  return out;
}

/** One image's assignment in a run, or undefined when the run did not see it. */
export function getAssignment(db: Db, runId: number, imageId: number): Assignment | undefined {
  const row = one<AssignmentRow>(db, 'SELECT image_id, cluster, confidence, doubt, reliable, probs FROM assignments WHERE run_id = ? AND image_id = ?', runId, imageId);
  return row ? toAssignment(row) : undefined;
}

/** The run's cluster of each image with a ground-truth (folder) label, and that label. */
export function groundTruthOfRun(db: Db, runId: number): Array<{ cluster: number; className: string }> {
  return many(
    db,
    'SELECT a.cluster AS cluster, i.label AS className FROM assignments a JOIN images i ON i.id = a.image_id WHERE a.run_id = ? AND i.label IS NOT NULL',
    runId,
  );
}

/** Every image of the run in image order: its cluster and its ground-truth (folder) label, if any. */
export function clustersWithFolderLabels(db: Db, runId: number): Array<{ cluster: number; label: string | null }> {
  return many(db, 'SELECT a.cluster AS cluster, i.label AS label FROM assignments a JOIN images i ON i.id = a.image_id WHERE a.run_id = ? ORDER BY a.image_id', runId);
}

/** Each image's cluster in the run, as [imageId, cluster]. */
export function clustersOfRun(db: Db, runId: number): Array<[number, number]> {
  return tuples<[number, number]>(db, 'SELECT image_id, cluster FROM assignments WHERE run_id = ?', runId);
}

/** The cluster's most confident images, best first. */
export function mostConfidentImages(db: Db, runId: number, cluster: number, limit: number): number[] {
  return values<number>(db, 'SELECT image_id FROM assignments WHERE run_id = ? AND cluster = ? ORDER BY confidence DESC, image_id LIMIT ?', runId, cluster, limit);
}

/** The backbone of the newest finished run, or undefined when no run has finished. */
export function latestFinishedRunBackbone(db: Db): number | undefined {
  return value<number>(db, `SELECT backbone_id FROM runs WHERE state = 'done' ORDER BY id DESC LIMIT 1`);
}

export function countAssignments(db: Db, runId: number): number {
  return value<number>(db, 'SELECT COUNT(*) FROM assignments WHERE run_id = ?', runId) ?? 0;
}

/** Number of images per cluster, length k (clusters with no image count 0). */
export function clusterSizes(db: Db, runId: number): number[] {
  const run = getRun(db, runId);
  if (!run) throw new Error(`run ${runId} does not exist`);
  const sizes = new Array<number>(run.k).fill(0);
  const rows = many<{ cluster: number; n: number }>(db, 'SELECT cluster, COUNT(*) AS n FROM assignments WHERE run_id = ? GROUP BY cluster', runId);
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

/** A runs row: the record with its JSON columns still text. */
type RunRow = Omit<RunRecord, 'params' | 'report' | 'timings'> & { params: string; report: string | null; timings: string | null };

/** An assignments row: reliable is 0 or 1, probs float32 bytes. */
type AssignmentRow = Omit<Assignment, 'reliable' | 'probs'> & { reliable: number; probs: Buffer };

function toAssignment(r: AssignmentRow): Assignment {
  return { ...r, reliable: r.reliable === 1, probs: blobToFloat32(r.probs) };
}

function toRecord(r: RunRow): RunRecord {
  return {
    ...r,
    params: JSON.parse(r.params) as Record<string, unknown>,
    report: r.report === null ? null : (JSON.parse(r.report) as Record<string, unknown>),
    timings: r.timings === null ? null : (JSON.parse(r.timings) as Record<string, number>),
  };
}

/**
 * Marks runs still 'running' whose job is no longer running (its process died: the job runner marked
 * it 'interrupted' on open) as 'interrupted', so they are not mistaken for live or finished work.
 * A run whose job ended some other way without finishing it takes that job's end state.
 * Returns how many were marked.
 */
export function markStaleRuns(db: Db): number {
  return runSql(
    db,
    `UPDATE runs SET
         state = COALESCE((SELECT CASE j.state WHEN 'failed' THEN 'failed' WHEN 'cancelled' THEN 'cancelled' ELSE 'interrupted' END
                           FROM jobs j WHERE j.id = runs.job_id), 'interrupted'),
         finished_at = ?
       WHERE state = 'running' AND job_id IS NOT NULL
         AND job_id NOT IN (SELECT id FROM jobs WHERE state = 'running')`,
    Date.now(),
  ).changes;
}
