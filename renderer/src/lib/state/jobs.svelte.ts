// Jobs as the renderer sees them: live progress per job and stage from push events, and the log.
import type { JobEvent, JobKind, JobProgress, JobRecord, JobState } from '$contract/jobs.ts';

export interface StageProgress {
  stage: string;
  progress: JobProgress;
  finished: boolean;
}

export interface JobView {
  jobId: number;
  kind: JobKind;
  state: JobState;
  /** Latest progress of the job's current stage. */
  progress: JobProgress | null;
  /** Every stage seen, in order, with its last progress. */
  stages: StageProgress[];
  error: string | null;
  resumedFrom: number | null;
  startedAt: number;
  finishedAt: number | null;
}

export interface LogLine {
  seq: number;
  time: number;
  jobId: number;
  level: 'info' | 'warn' | 'error';
  message: string;
}

const MAX_LOG = 2000;

export class JobsState {
  jobs: JobView[] = $state([]);
  log: LogLine[] = $state.raw([]);
  private seq = 0;
  /** Called with each finished job (state refresh, toasts). */
  onFinished: ((job: JobView) => void) | null = null;

  readonly running = $derived(this.jobs.filter((j) => j.state === 'running'));

  /** Seeds the list from stored job records (after opening a project or reconnecting). */
  seed(records: JobRecord[]): void {
    const known = new Map(this.jobs.map((j) => [j.jobId, j]));
    const next: JobView[] = records.map((r) => {
      const live = known.get(r.id);
      if (live && live.state === 'running' && r.state === 'running') return live;
      return {
        jobId: r.id,
        kind: r.kind,
        state: r.state,
        progress:
          r.state === 'running' || r.total !== null
            ? { jobId: r.id, kind: r.kind, unit: '', stage: r.message ?? '', done: r.done, total: r.total, rate: 0, etaSeconds: null }
            : null,
        stages: live?.stages ?? [],
        error: r.error,
        resumedFrom: r.resumedFrom,
        startedAt: r.startedAt,
        finishedAt: r.finishedAt,
      };
    });
    this.jobs = next.sort((a, b) => b.jobId - a.jobId).slice(0, 30);
  }

  clear(): void {
    this.jobs = [];
    this.log = [];
  }

  byId(jobId: number): JobView | undefined {
    return this.jobs.find((j) => j.jobId === jobId);
  }

  apply(event: JobEvent): void {
    switch (event.type) {
      case 'started': {
        const existing = this.byId(event.jobId);
        if (!existing) {
          this.jobs = [
            {
              jobId: event.jobId,
              kind: event.kind,
              state: 'running' as JobState,
              progress: null,
              stages: [],
              error: null,
              resumedFrom: event.resumedFrom,
              startedAt: Date.now(),
              finishedAt: null,
            },
            ...this.jobs,
          ].slice(0, 30);
        }
        this.addLog(event.jobId, 'info', `${event.kind} job #${event.jobId} started${event.resumedFrom ? ` (resumes #${event.resumedFrom})` : ''}`);
        break;
      }
      case 'progress': {
        const p = event.progress;
        const job = this.ensure(p.jobId, p.kind);
        job.progress = p;
        const last = job.stages[job.stages.length - 1];
        if (last && last.stage === p.stage) last.progress = p;
        else {
          if (last) last.finished = true;
          job.stages.push({ stage: p.stage, progress: p, finished: false });
        }
        break;
      }
      case 'log':
        this.addLog(event.jobId, event.level, event.message);
        break;
      case 'finished': {
        const job = this.ensure(event.jobId, event.kind);
        job.state = event.state;
        job.error = event.error ?? null;
        job.finishedAt = Date.now();
        for (const s of job.stages) s.finished = true;
        this.addLog(
          event.jobId,
          event.state === 'failed' ? 'error' : event.state === 'done' ? 'info' : 'warn',
          `${event.kind} job #${event.jobId} ${event.state}${event.error ? `: ${event.error}` : ''}`,
        );
        this.onFinished?.(job);
        break;
      }
    }
  }

  private ensure(jobId: number, kind: JobKind): JobView {
    let job = this.byId(jobId);
    if (!job) {
      this.apply({ type: 'started', jobId, kind, params: null, resumedFrom: null });
      job = this.byId(jobId)!;
    }
    return job;
  }

  private addLog(jobId: number, level: LogLine['level'], message: string): void {
    const line: LogLine = { seq: this.seq++, time: Date.now(), jobId, level, message };
    const next = this.log.length >= MAX_LOG ? this.log.slice(this.log.length - MAX_LOG + 1) : this.log.slice();
    next.push(line);
    this.log = next;
  }
}
