import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { migrations } from './migrations/index.ts';

export type Db = Database.Database;

export const SCHEMA_VERSION = migrations[migrations.length - 1].version;

/** Opens (creating if needed) a project database and brings its schema up to date. */
export function openDatabase(file: string, options: { readonly?: boolean } = {}): Db {
  if (!options.readonly) mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file, { readonly: options.readonly ?? false, fileMustExist: options.readonly ?? false });
  db.pragma('busy_timeout = 5000');
  if (!options.readonly) {
    db.pragma('journal_mode = WAL');
    // NORMAL is durable across a process kill under WAL; only a power loss can drop the last commits.
    db.pragma('synchronous = NORMAL');
  }
  db.pragma('foreign_keys = ON');
  if (!options.readonly) migrate(db);
  else if (schemaVersion(db) !== SCHEMA_VERSION) {
    throw new Error(`project database ${file} has schema version ${schemaVersion(db)}, this build needs ${SCHEMA_VERSION}`);
  }
  return db;
}

export function schemaVersion(db: Db): number {
  return db.pragma('user_version', { simple: true }) as number;
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
      db.transaction(() => {
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

export function setMeta(db: Db, key: string, value: string): void {
  db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value);
}
