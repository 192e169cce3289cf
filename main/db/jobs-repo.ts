// The job log (table `jobs`, migrations 001 and 008): one row per job, with the process that runs it.
// The runner (main/jobs/runner.ts) decides when rows change; this is how they are read and written.
import type { JobKind, JobRecord, JobState } from '../../preload/contract/jobs.ts';
import type { Db } from './connection.ts';
import { insert, many, run, value } from './statements.ts';

/** Where a running job's process is: enough to tell whether it is still alive. */
export interface JobProcess {
  pid: number | null;
  start: string | null;
  host: string | null;
}

const RECORD_COLUMNS = 'id, kind, params, state, done, total, message, error, resumed_from, started_at, finished_at';

/** The newest jobs first. */
export function listJobs(db: Db, limit: number): JobRecord[] {
  return many<Omit<JobRecord, 'params'> & { params: string }>(db, `SELECT ${RECORD_COLUMNS} FROM jobs ORDER BY id DESC LIMIT ?`, limit).map((r) => ({
    ...r,
    params: JSON.parse(r.params) as unknown,
  }));
}

/** The newest job of this kind and params that stopped short (interrupted, cancelled, failed). */
export function lastUnfinishedJob(db: Db, kind: JobKind, paramsJson: string): number | undefined {
  return value<number>(
    db,
    `SELECT id FROM jobs WHERE kind = ? AND params = ? AND state IN ('interrupted', 'cancelled', 'failed') ORDER BY id DESC LIMIT 1`,
    kind,
    paramsJson,
  );
}

export function insertRunningJob(db: Db, kind: JobKind, paramsJson: string, process: JobProcess, resumedFrom: number | null, now: number): number {
  return insert(
    db,
    `INSERT INTO jobs (kind, params, state, pid, process_start, host, resumed_from, started_at, updated_at) VALUES (?, ?, 'running', ?, ?, ?, ?, ?, ?)`,
    kind,
    paramsJson,
    process.pid,
    process.start,
    process.host,
    resumedFrom,
    now,
    now,
  );
}

export function updateJobProgress(db: Db, jobId: number, done: number, total: number | null, message: string, now: number): void {
  run(db, 'UPDATE jobs SET done = ?, total = ?, message = ?, updated_at = ? WHERE id = ?', done, total, message, now, jobId);
}

export function finishJob(db: Db, jobId: number, state: Exclude<JobState, 'running'>, error: string | null, now: number): void {
  run(db, 'UPDATE jobs SET state = ?, error = ?, updated_at = ?, finished_at = ? WHERE id = ?', state, error, now, now, jobId);
}

/** Jobs recorded as running, with their processes. */
export function runningJobs(db: Db): Array<{ id: number } & JobProcess> {
  return many(db, `SELECT id, pid, process_start AS start, host FROM jobs WHERE state = 'running'`);
}

/** Marks a job interrupted unless it finished meanwhile. */
export function markJobInterrupted(db: Db, jobId: number, now: number): void {
  run(
    db,
    `UPDATE jobs SET state = 'interrupted', error = COALESCE(error, 'its process ended without finishing it'), updated_at = ? WHERE id = ? AND state = 'running'`,
    now,
    jobId,
  );
}

/** Interrupted jobs no later job took over. */
export function interruptedJobs(db: Db): Array<{ id: number; kind: string; done: number; total: number | null }> {
  return many(
    db,
    `SELECT id, kind, done, total FROM jobs WHERE state = 'interrupted' AND id NOT IN (SELECT resumed_from FROM jobs WHERE resumed_from IS NOT NULL) ORDER BY id`,
  );
}
