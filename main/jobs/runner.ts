import { EventEmitter } from 'node:events';
import type { Db } from '../db/connection.ts';
import type { JobEvent, JobKind, JobProgress, JobRecord, JobState } from '../../preload/contract/jobs.ts';
import { currentProcess, processAlive } from '../base/process-identity.ts';
import { CancelledError } from '../base/errors.ts';
import { RateMeter, etaSeconds } from './progress.ts';
import { finishJob, insertRunningJob, lastUnfinishedJob, listJobs, markJobInterrupted, runningJobs, updateJobProgress } from '../db/jobs-repo.ts';

export class JobCancelledError extends CancelledError {
  constructor() {
    super('cancelled');
    this.name = 'JobCancelledError';
  }
}

export interface JobContext {
  readonly jobId: number;
  readonly signal: AbortSignal;
  /** The interrupted job this one takes over, if any. Work is idempotent, so it only informs. */
  readonly resumedFrom: number | null;
  /** Starts a new counted stage; the rate window restarts. */
  stage(name: string, total: number | null, unit?: string): void;
  /** Reports the number done in the current stage; events are throttled. */
  progress(done: number, message?: string): void;
  log(message: string, level?: 'info' | 'warn' | 'error'): void;
  /** Throws JobCancelledError when the job was cancelled. Call it between units of work. */
  throwIfCancelled(): void;
}

export type JobBody<T> = (ctx: JobContext) => Promise<T>;

const PROGRESS_EVENT_INTERVAL_MS = 100;
const PROGRESS_DB_INTERVAL_MS = 1000;

export interface JobRunnerOptions {
  /** false: a read-only project; jobs run and report events but leave no row (default true). */
  record?: boolean;
}

/**
 * Runs jobs against one project database: records them in `jobs`, emits typed events, supports
 * cancellation through AbortSignal, and marks jobs left 'running' by a dead process as interrupted.
 */
export class JobRunner {
  readonly events = new EventEmitter<{ event: [JobEvent] }>();
  private readonly controllers = new Map<number, AbortController>();
  private readonly record: boolean;
  /** Ids of jobs that leave no row (read-only project): negative, so they never meet a real one. */
  private nextUnrecordedId = -1;

  constructor(
    private readonly db: Db,
    options: JobRunnerOptions = {},
  ) {
    this.record = options.record ?? true;
    if (this.record) this.markOrphansInterrupted();
  }

  onEvent(listener: (e: JobEvent) => void): () => void {
    this.events.on('event', listener);
    return () => this.events.off('event', listener);
  }

  cancel(jobId: number): boolean {
    const c = this.controllers.get(jobId);
    if (!c) return false;
    c.abort();
    return true;
  }

  cancelAll(): void {
    for (const c of this.controllers.values()) c.abort();
  }

  get runningJobIds(): number[] {
    return [...this.controllers.keys()];
  }

  list(limit = 50): JobRecord[] {
    if (!this.record) return [];
    return listJobs(this.db, limit);
  }

  async run<T>(kind: JobKind, params: unknown, body: JobBody<T>, outer?: AbortSignal): Promise<T> {
    const { jobId, resumedFrom } = this.record ? this.insertJob(kind, params) : { jobId: this.nextUnrecordedId--, resumedFrom: null };
    const controller = new AbortController();
    const onOuterAbort = () => controller.abort();
    outer?.addEventListener('abort', onOuterAbort, { once: true });
    if (outer?.aborted) controller.abort();
    this.controllers.set(jobId, controller);
    this.emit({ type: 'started', jobId, kind, params, resumedFrom });
    if (resumedFrom !== null) this.emit({ type: 'log', jobId, level: 'info', message: `resuming after job ${resumedFrom}` });

    const ctx = this.makeContext(jobId, kind, controller.signal, resumedFrom);
    try {
      const result = await body(ctx);
      ctx.flush();
      this.finish(jobId, kind, 'done');
      return result;
    } catch (err) {
      ctx.flush();
      const cancelled = err instanceof JobCancelledError || controller.signal.aborted;
      const message = err instanceof Error ? err.message : String(err);
      this.finish(jobId, kind, cancelled ? 'cancelled' : 'failed', cancelled ? undefined : message);
      throw cancelled && !(err instanceof JobCancelledError) ? new JobCancelledError() : err;
    } finally {
      outer?.removeEventListener('abort', onOuterAbort);
      this.controllers.delete(jobId);
    }
  }

  /** The job's row, with the process that runs it; the read and the insert are one write transaction. */
  private insertJob(kind: JobKind, params: unknown): { jobId: number; resumedFrom: number | null } {
    const paramsJson = JSON.stringify(params ?? {});
    const me = currentProcess();
    return this.db
      .transaction(() => {
        const now = Date.now();
        const resumedFrom = lastUnfinishedJob(this.db, kind, paramsJson) ?? null;
        const jobId = insertRunningJob(this.db, kind, paramsJson, me, resumedFrom, now);
        return { jobId, resumedFrom };
      })
      .immediate();
  }

  private makeContext(jobId: number, kind: JobKind, signal: AbortSignal, resumedFrom: number | null): JobContext & { flush(): void } {
    const meter = new RateMeter();
    let stage = '';
    let unit = 'items';
    let total: number | null = null;
    let done = 0;
    let message: string | undefined;
    let lastEvent = 0;
    let lastDb = 0;
    const publish = (force: boolean) => {
      const now = Date.now();
      const rate = meter.update(done);
      if (force || now - lastEvent >= PROGRESS_EVENT_INTERVAL_MS) {
        lastEvent = now;
        const progress: JobProgress = { jobId, kind, unit, stage, done, total, rate, etaSeconds: etaSeconds(done, total, rate), message };
        this.emit({ type: 'progress', progress });
      }
      if (force || now - lastDb >= PROGRESS_DB_INTERVAL_MS) {
        lastDb = now;
        if (this.record) updateJobProgress(this.db, jobId, done, total, message ?? stage, now);
      }
    };
    return {
      jobId,
      signal,
      resumedFrom,
      stage: (name, stageTotal, stageUnit) => {
        stage = name;
        total = stageTotal;
        unit = stageUnit ?? unit;
        done = 0;
        message = undefined;
        meter.reset(0);
        publish(true);
      },
      progress: (n, msg) => {
        done = n;
        message = msg;
        publish(total !== null && n >= total);
      },
      log: (msg, level = 'info') => this.emit({ type: 'log', jobId, level, message: msg }),
      throwIfCancelled: () => {
        if (signal.aborted) throw new JobCancelledError();
      },
      flush: () => publish(true),
    };
  }

  private finish(jobId: number, kind: JobKind, state: Exclude<JobState, 'running'>, error?: string): void {
    const now = Date.now();
    if (this.record) finishJob(this.db, jobId, state, error ?? null, now);
    this.emit({ type: 'finished', jobId, kind, state, error });
  }

  /** Jobs whose process is gone (killed, crashed, machine restarted) become 'interrupted'. */
  private markOrphansInterrupted(): void {
    const gone = runningJobs(this.db).filter((r) => !processAlive(r));
    const now = Date.now();
    for (const r of gone) markJobInterrupted(this.db, r.id, now);
  }

  private emit(e: JobEvent): void {
    this.events.emit('event', e);
  }
}
