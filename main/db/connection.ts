// Opening a project database safely: a new file appears complete or not at all, a database from a newer
// build or a damaged one is refused before anything is written to it, a file this user may not write
// opens read-only, and every failure names the file and says what to do.
import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import {
  accessSync,
  closeSync,
  constants,
  copyFileSync,
  existsSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { processAlive } from '../base/process-identity.ts';
import { migrations } from './migrations/index.ts';
import { describeDbError, ProjectDatabaseError } from './database-errors.ts';

export { ProjectDatabaseError, describeDbError } from './database-errors.ts';

export type Db = Database.Database;

export const SCHEMA_VERSION = migrations[migrations.length - 1].version;
/** How long a statement waits for another process's write lock before failing with SQLITE_BUSY. */
export const BUSY_TIMEOUT_MS = 30_000;
const SQLITE_MAGIC = 'SQLite format 3\u0000';

export interface OpenOptions {
  /**
   * true: open read-only (never writes, not even the schema). 'auto': read-write when this user may
   * write the file and its folder, else read-only. Default false: read-write or an error.
   */
  readonly?: boolean | 'auto';
  /** Create the file when it does not exist (default true unless read-only). */
  create?: boolean;
}

/** Opens (creating if needed) a project database and brings its schema up to date. */
export function openDatabase(file: string, options: OpenOptions = {}): Db {
  const wantReadonly = options.readonly === true || (options.readonly === 'auto' && existsSync(file) && !writable(file));
  if (!existsSync(file)) {
    if (wantReadonly || options.create === false) throw new ProjectDatabaseError(file, 'missing', `${file} does not exist: no project there`);
    createDatabase(file);
  }
  checkHeader(file);
  // Read the version before anything can write: a newer build's database must stay exactly as it is.
  const version = withReadonly(file, (db) => schemaVersion(db));
  if (version > SCHEMA_VERSION) {
    throw new ProjectDatabaseError(
      file,
      'newer',
      `${file} was written by a newer SPICE Workbench (schema ${version}, this build knows ${SCHEMA_VERSION}): open it with that version or a later one; it was not changed`,
    );
  }
  if (wantReadonly) return openReadonly(file, version);
  if (!writable(file)) {
    throw new ProjectDatabaseError(
      file,
      'read-only',
      `${file} is read-only for this user: this command needs to write it; copy the project folder somewhere writable or fix its permissions`,
    );
  }
  return guarded(
    file,
    () => new Database(file, { fileMustExist: true }),
    (db) => {
      db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
      db.pragma('journal_mode = WAL');
      // NORMAL is durable across a process kill under WAL; only a power loss can drop the last commits.
      db.pragma('synchronous = NORMAL');
      db.pragma('foreign_keys = ON');
      migrate(db);
    },
  );
}

/** True when the handle cannot write (opened read-only). */
export function isReadonly(db: Db): boolean {
  return db.readonly;
}

export function schemaVersion(db: Db): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/** PRAGMA quick_check: [] when the file is sound, else SQLite's descriptions of the damage. */
export function quickCheck(db: Db, maxErrors = 20): string[] {
  let rows: Array<{ quick_check: string }>;
  try {
    rows = db.pragma(`quick_check(${Math.max(1, Math.trunc(maxErrors))})`) as Array<{ quick_check: string }>;
  } catch (err) {
    // Some damage stops the check itself: that is a finding too.
    const code = String((err as { code?: unknown }).code ?? '');
    if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB') return [`the check itself could not finish: ${(err as Error).message}`];
    throw err;
  }
  const lines = rows.flatMap((r) => r.quick_check.split('\n')).filter((l) => l !== '' && !/^\*\*\* in database/.test(l));
  return lines.length === 1 && lines[0] === 'ok' ? [] : lines;
}

/** The folder and the file may be written by this process (SQLite needs the folder for -wal/-shm). */
function writable(file: string): boolean {
  try {
    accessSync(file, constants.R_OK | constants.W_OK);
    accessSync(dirname(file), constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * A new project database is built beside its final name and linked into place only when fully
 * migrated. So a project.sqlite that exists is always a whole database (an empty one is damage, not a
 * fresh start), and two processes creating the same project at once both end up with the winner's.
 */
function createDatabase(file: string): void {
  mkdirSync(dirname(file), { recursive: true });
  removeStaleScratch(file);
  const scratch = `${file}.new-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    const db = guarded(
      file,
      () => new Database(scratch),
      (d) => {
        d.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
        d.pragma('journal_mode = WAL');
        d.pragma('foreign_keys = ON');
        migrate(d);
      },
    );
    db.close(); // checkpoints the WAL into the file and removes it
    try {
      linkSync(scratch, file);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') return; // another process created it first: theirs is as good as ours
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw err;
      // A file system without hard links (FAT, some shares): a rename, after a last look.
      if (!existsSync(file)) renameSync(scratch, file);
    }
  } catch (err) {
    throw describeDbError(file, err);
  } finally {
    for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(`${scratch}${suffix}`, { force: true });
  }
}

/** Scratch files of creations killed half-way (their process is gone). */
function removeStaleScratch(file: string): void {
  const prefix = `${basename(file)}.new-`;
  let names: string[];
  try {
    names = readdirSync(dirname(file));
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(name.slice(prefix.length).split('-')[0]);
    if (Number.isInteger(pid) && pid !== process.pid && !processAlive({ pid, start: null, host: null })) rmSync(join(dirname(file), name), { force: true });
  }
}

/** Refuses what SQLite would misread: an empty file (it would become a new, empty project) or a non-database. */
function checkHeader(file: string): void {
  const st = statSync(file);
  if (!st.isFile()) throw new ProjectDatabaseError(file, 'damaged', `${file} is not a file`);
  if (st.size === 0) {
    throw new ProjectDatabaseError(
      file,
      'damaged',
      `${file} is empty (0 bytes): the project's data is gone from this file; restore it from a backup (it was not turned into a new project)`,
    );
  }
  const header = Buffer.alloc(16);
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    throw describeDbError(file, err);
  }
  try {
    readSync(fd, header, 0, 16, 0);
  } finally {
    closeSync(fd);
  }
  if (st.size < 512 || header.toString('latin1') !== SQLITE_MAGIC) {
    throw new ProjectDatabaseError(
      file,
      'damaged',
      `${file} is not a project database (not an SQLite file, or its first page was overwritten): restore it from a backup`,
    );
  }
}

function withReadonly<T>(file: string, read: (db: Db) => T): T {
  const db = openReadonlyHandle(file);
  try {
    return guardedRead(file, () => read(db.handle));
  } finally {
    db.close();
  }
}

function openReadonly(file: string, version: number): Db {
  if (version !== SCHEMA_VERSION) {
    throw new ProjectDatabaseError(
      file,
      'read-only',
      `${file} is read-only for this user and has schema ${version}, this build needs ${SCHEMA_VERSION}: open it once with write access to upgrade it, or use the build that wrote it`,
    );
  }
  const { handle, close } = openReadonlyHandle(file);
  // The snapshot copy (if any) goes with the handle.
  const original = handle.close.bind(handle);
  handle.close = () => {
    const r = original();
    close();
    return r;
  };
  return handle;
}

/**
 * A read-only handle. A WAL database needs its -shm file; when the folder is read-only and none is
 * there, SQLite cannot open it in place, so a private copy in the temp folder is opened instead.
 */
function openReadonlyHandle(file: string): { handle: Db; close(): void } {
  try {
    const handle = new Database(file, { readonly: true, fileMustExist: true });
    handle.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    handle.pragma('user_version'); // forces the open, so a missing -shm shows here
    return { handle, close: () => handle.open && handle.close() };
  } catch (err) {
    const code = (err as { code?: string }).code ?? '';
    if (code !== 'SQLITE_READONLY_DIRECTORY' && code !== 'SQLITE_CANTOPEN' && code !== 'SQLITE_READONLY_CANTINIT') throw describeDbError(file, err);
  }
  const dir = mkdtempSync(join(tmpdir(), 'spice-readonly-'));
  const copy = join(dir, basename(file));
  try {
    copyFileSync(file, copy);
    if (existsSync(`${file}-wal`)) copyFileSync(`${file}-wal`, `${copy}-wal`);
    const handle = new Database(copy, { readonly: true, fileMustExist: true });
    handle.pragma('user_version');
    return {
      handle,
      close: () => {
        if (handle.open) handle.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw describeDbError(file, err);
  }
}

/** Runs `setup` on a fresh handle; any failure closes the handle and names the file. */
function guarded(file: string, open: () => Db, setup: (db: Db) => void): Db {
  let db: Db;
  try {
    db = open();
  } catch (err) {
    throw describeDbError(file, err);
  }
  try {
    setup(db);
    return db;
  } catch (err) {
    db.close();
    throw describeDbError(file, err);
  }
}

function guardedRead<T>(file: string, read: () => T): T {
  try {
    return read();
  } catch (err) {
    throw describeDbError(file, err);
  }
}

function migrate(db: Db): void {
  const current = schemaVersion(db);
  if (current > SCHEMA_VERSION) {
    throw new Error(`this project was written by a newer SPICE Workbench (schema ${current} > ${SCHEMA_VERSION})`);
  }
  for (const m of migrations) {
    if (m.version <= current) continue;
    if (m.rebuildsReferencedTable) db.pragma('foreign_keys = OFF');
    try {
      // Each migration and its version bump commit together: a kill leaves the old or the new schema.
      // The version is read again under the write lock: another process may have just applied it.
      db.transaction(() => {
        if (schemaVersion(db) >= m.version) return;
        db.exec(m.up);
        if (m.rebuildsReferencedTable) {
          const broken = db.pragma('foreign_key_check') as unknown[];
          if (broken.length > 0) throw new Error(`migration ${m.version} (${m.name}) would leave ${broken.length} broken references`);
        }
        db.pragma(`user_version = ${m.version}`);
      }).immediate();
    } finally {
      if (m.rebuildsReferencedTable) db.pragma('foreign_keys = ON');
    }
  }
}

export function getMeta(db: Db, key: string): string | undefined {
  const row = db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined;
  return row?.value;
}

/** Sets a meta value only where the key has none yet (e.g. when the project was created). */
export function setMetaIfMissing(db: Db, key: string, value: string): void {
  db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO NOTHING').run(key, value);
}

export function setMeta(db: Db, key: string, value: string): void {
  db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value);
}
