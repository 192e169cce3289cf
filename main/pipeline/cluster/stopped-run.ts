// A clustering run whose job stopped part way: recorded as cancelled or failed, with its timings so far.
import type { Db } from '../../db/connection.ts';
import { finishRun } from '../../db/runs-repo.ts';
import { JobCancelledError } from '../../jobs/runner.ts';

/**
 * Marks the run cancelled (the job was cancelled, whatever the error) or failed, and returns the error
 * the job should end with: a JobCancelledError when cancelled, so the job is reported as cancelled too.
 */
export function recordStoppedRun(db: Db, runId: number, err: unknown, signal: AbortSignal, timings?: Record<string, number>): unknown {
  const cancelled = err instanceof JobCancelledError || signal.aborted;
  finishRun(db, runId, { state: cancelled ? 'cancelled' : 'failed', report: { error: err instanceof Error ? err.message : String(err) }, timings });
  return cancelled && !(err instanceof JobCancelledError) ? new JobCancelledError() : err;
}
