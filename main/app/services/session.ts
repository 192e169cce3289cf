// The state every transport shares: the one open project, the push channel to clients, and caches
// that die with the project (embedding matrices for neighbour queries, run scores).
import { EventEmitter } from 'node:events';
import { existsSync, statSync } from 'node:fs';
import type { DataArea, PlatformMode, PushEvent } from '../../../preload/contract/api.ts';
import type { JobEvent, JobKind } from '../../../preload/contract/jobs.ts';
import { ProjectedBankCache } from '../../pipeline/label/refine-job.ts';
import { openProject, projectExists, type Project } from '../../project/project.ts';
import { ApiError } from './api-errors.ts';
import { RecentProjects } from './recent.ts';

/** What a finished job of each kind may have changed. */
const CHANGED_BY_KIND: Record<JobKind, DataArea[]> = {
  import: ['project', 'images'],
  embed: ['project', 'embeddings'],
  cluster: ['project', 'runs'],
  pretrain: ['project', 'embeddings'],
  classify: ['project', 'images', 'runs'],
  export: [],
  pipeline: ['project', 'images', 'embeddings', 'runs'],
};

export interface SessionOptions {
  platform: PlatformMode;
  /** Folder for app state (recent projects). */
  stateDir: string;
}

export class Session {
  readonly platform: PlatformMode;
  readonly recent: RecentProjects;
  private readonly pushes = new EventEmitter<{ push: [PushEvent] }>();
  private current: Project | null = null;
  private detachJobs: (() => void) | null = null;
  /** The projected view bank of the newest refine, kept for the next one (refines come in quick succession). */
  readonly bankCache = new ProjectedBankCache();
  /** Per-project memo: each value with the data areas it was computed from. */
  private memo = new Map<string, { value: unknown; dependsOn: readonly DataArea[] }>();

  constructor(options: SessionOptions) {
    this.platform = options.platform;
    this.recent = new RecentProjects(options.stateDir);
  }

  get project(): Project | null {
    return this.current;
  }

  /** The open project, or an ApiError 'no-project'. */
  requireProject(): Project {
    if (!this.current) throw new ApiError('no-project', 'no project is open: open or create one first');
    return this.current;
  }

  onPush(listener: (e: PushEvent) => void): () => void {
    this.pushes.on('push', listener);
    return () => this.pushes.off('push', listener);
  }

  push(e: PushEvent): void {
    this.pushes.emit('push', e);
  }

  /** Tells clients that stored data changed, and drops memos that may depend on it. */
  changed(areas: DataArea[], runId?: number): void {
    for (const [key, entry] of this.memo) {
      if (entry.dependsOn.some((a) => areas.includes(a))) this.memo.delete(key);
    }
    this.push(runId === undefined ? { type: 'changed', areas } : { type: 'changed', areas, runId });
  }

  /** Opens an existing project (must hold project.sqlite) or, with create, a new one. */
  open(dir: string, options: { create?: boolean } = {}): Project {
    if (options.create) {
      if (existsSync(dir) && !statSync(dir).isDirectory()) throw new ApiError('invalid-argument', `${dir} is a file, not a folder`);
      if (projectExists(dir)) throw new ApiError('conflict', `${dir} already holds a project: open it instead`);
    } else {
      if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new ApiError('not-found', `folder ${dir} does not exist`);
      if (!projectExists(dir)) throw new ApiError('not-found', `${dir} holds no project (no project.sqlite)`);
    }
    if (this.current && this.current.jobs.runningJobIds.length > 0) {
      throw new ApiError('conflict', 'a job is running in the open project: wait for it or cancel it first');
    }
    // Open the new one before closing the old, so a failure leaves the old project open. A project
    // this user may not write opens read-only: it can be browsed and exported elsewhere.
    const project = openProject(dir, { readonly: options.create ? false : 'auto', create: options.create ?? false });
    this.closeCurrent();
    this.current = project;
    this.detachJobs = project.jobs.onEvent((e) => this.onJobEvent(e));
    this.recent.touch(project.dir);
    return project;
  }

  close(): void {
    if (this.current && this.current.jobs.runningJobIds.length > 0) {
      throw new ApiError('conflict', 'a job is running: wait for it or cancel it before closing the project');
    }
    this.closeCurrent();
  }

  /** Closes everything, cancelling running jobs (app shutdown). */
  dispose(): void {
    this.closeCurrent();
    this.pushes.removeAllListeners();
  }

  /** Memoises a value for the open project until one of the areas it depends on changes. */
  cached<T>(key: string, dependsOn: readonly DataArea[], compute: () => T): T {
    const hit = this.memo.get(key);
    if (hit) return hit.value as T;
    const value = compute();
    this.memo.set(key, { value, dependsOn });
    return value;
  }

  private closeCurrent(): void {
    this.detachJobs?.();
    this.detachJobs = null;
    this.memo.clear();
    this.bankCache.clear();
    if (this.current) {
      this.current.close();
      this.current = null;
    }
  }

  private onJobEvent(e: JobEvent): void {
    this.push({ type: 'job', event: e });
    if (e.type === 'finished') this.changed(CHANGED_BY_KIND[e.kind] ?? ['project']);
  }
}
