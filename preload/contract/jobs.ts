// Job types shared by main, preload and renderer. Pure types: no Node, no DOM, no Electron.

export type JobKind = 'import' | 'embed' | 'cluster' | 'pretrain' | 'classify' | 'export' | 'pipeline';
export type JobState = 'running' | 'done' | 'failed' | 'cancelled' | 'interrupted';

export interface JobProgress {
  jobId: number;
  kind: JobKind;
  /** What is being counted, e.g. 'files', 'images', 'epochs'. */
  unit: string;
  /** Stage within the job, e.g. 'plain view', 'weak/2', 'SPICE-Self'. */
  stage: string;
  done: number;
  total: number | null;
  /** Units per second over a recent window. */
  rate: number;
  etaSeconds: number | null;
  message?: string;
}

export type JobEvent =
  | { type: 'started'; jobId: number; kind: JobKind; params: unknown; resumedFrom: number | null }
  | { type: 'progress'; progress: JobProgress }
  | { type: 'log'; jobId: number; level: 'info' | 'warn' | 'error'; message: string }
  | { type: 'finished'; jobId: number; kind: JobKind; state: Exclude<JobState, 'running'>; error?: string };

export interface JobRecord {
  id: number;
  kind: JobKind;
  params: unknown;
  state: JobState;
  done: number;
  total: number | null;
  message: string | null;
  error: string | null;
  resumedFrom: number | null;
  startedAt: number;
  finishedAt: number | null;
}
