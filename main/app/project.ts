import { existsSync, realpathSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { openDatabase, getMeta, setMeta, type Db } from '../db/connection.ts';
import { JobRunner } from '../jobs/runner.ts';

export const PROJECT_DB_FILE = 'project.sqlite';

/** One open project: its folder, database and job runner. */
export interface Project {
  readonly dir: string;
  readonly db: Db;
  readonly jobs: JobRunner;
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

export function openProject(dir: string): Project {
  const abs = resolve(dir);
  if (existsSync(abs) && !statSync(abs).isDirectory()) throw new Error(`project path ${abs} is a file, not a folder`);
  const db = openDatabase(projectDbPath(abs));
  if (getMeta(db, 'created_at') === undefined) setMeta(db, 'created_at', String(Date.now()));
  const jobs = new JobRunner(db);
  return {
    dir: abs,
    db,
    jobs,
    imageRoot: () => getMeta(db, 'image_root') ?? null,
    setImageRoot: (root: string) => setMeta(db, 'image_root', realpathSync(root)),
    close: () => {
      jobs.cancelAll();
      db.close();
    },
  };
}
