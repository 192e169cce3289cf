import { existsSync, realpathSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { openDatabase, getMeta, setMeta, setMetaIfMissing, type Db } from '../db/connection.ts';
import { JobRunner } from '../jobs/runner.ts';
import { markStaleRuns } from '../db/runs-repo.ts';

export const PROJECT_DB_FILE = 'project.sqlite';

/** One open project: its folder, database and job runner. */
export interface Project {
  readonly dir: string;
  readonly db: Db;
  readonly jobs: JobRunner;
  /** Opened read-only (this user may not write it): reads and exports elsewhere work, writes fail. */
  readonly readonly: boolean;
  /** Absolute folder the images' relative paths start from; null until the first import. */
  imageRoot(): string | null;
  setImageRoot(dir: string): void;
  close(): void;
}

export function projectDbPath(dir: string): string {
  return join(resolve(dir), PROJECT_DB_FILE);
}

export function projectExists(dir: string): boolean {
  return existsSync(projectDbPath(dir));
}

export interface OpenProjectOptions {
  /**
   * 'auto': a project this user may not write opens read-only instead of failing (status, browsing,
   * export to another folder). Default false: the project must be writable.
   */
  readonly?: boolean | 'auto';
  /** Create the project when the folder holds none (default true unless read-only). */
  create?: boolean;
}

export function openProject(dir: string, options: OpenProjectOptions = {}): Project {
  const abs = resolve(dir);
  if (existsSync(abs) && !statSync(abs).isDirectory()) throw new Error(`project path ${abs} is a file, not a folder`);
  const db = openDatabase(projectDbPath(abs), options);
  const readonly = db.readonly;
  if (!readonly) setMetaIfMissing(db, 'created_at', String(Date.now()));
  // Jobs and runs left 'running' by a process that is gone are marked interrupted, never shown as live.
  const jobs = new JobRunner(db, { record: !readonly });
  if (!readonly) markStaleRuns(db);
  return {
    dir: abs,
    db,
    jobs,
    readonly,
    imageRoot: () => getMeta(db, 'image_root') ?? null,
    setImageRoot: (root: string) => setMeta(db, 'image_root', realpathSync(root)),
    close: () => {
      jobs.cancelAll();
      db.close();
    },
  };
}
