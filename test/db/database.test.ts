import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { openDatabase, schemaVersion, SCHEMA_VERSION } from '../../main/db/connection.ts';
import { migrations } from '../../main/db/migrations/index.ts';
import { makeTempDir } from '../helpers/cifar-subset.ts';

test('a new project database is migrated to the latest schema, in WAL mode, with foreign keys on', (t) => {
  const tmp = makeTempDir();
  t.after(tmp.cleanup);
  const db = openDatabase(join(tmp.dir, 'p.sqlite'));
  assert.equal(schemaVersion(db), SCHEMA_VERSION);
  assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
  assert.equal(db.pragma('foreign_keys', { simple: true }), 1);
  const strict = db.prepare(`SELECT name FROM sqlite_schema WHERE type = 'table' AND sql LIKE '%STRICT%'`).all() as Array<{ name: string }>;
  for (const table of ['images', 'embeddings', 'jobs', 'runs', 'assignments', 'corrections']) {
    assert.ok(strict.some((r) => r.name === table), `${table} is STRICT`);
  }
  db.close();
});

test('migrations are numbered 1..N without gaps and reopening does not re-run them', (t) => {
  assert.deepEqual(migrations.map((m) => m.version), migrations.map((_, i) => i + 1));
  const tmp = makeTempDir();
  t.after(tmp.cleanup);
  const file = join(tmp.dir, 'p.sqlite');
  openDatabase(file).close();
  const db = openDatabase(file);
  assert.equal(schemaVersion(db), SCHEMA_VERSION);
  db.close();
});

test('STRICT tables reject values of the wrong type and foreign keys are enforced', (t) => {
  const tmp = makeTempDir();
  t.after(tmp.cleanup);
  const db = openDatabase(join(tmp.dir, 'p.sqlite'));
  assert.throws(
    () => db.prepare(`INSERT INTO images (rel_path, sha256, width, height, bytes, format, imported_at) VALUES ('a.jpg', 'x', 'wide', 1, 1, 'jpeg', 0)`).run(),
    /cannot store TEXT value in INTEGER column/,
  );
  assert.throws(() => db.prepare(`INSERT INTO thumbnails (image_id, mime, width, height, data) VALUES (999, 'image/webp', 1, 1, x'00')`).run(), /FOREIGN KEY/);
  db.close();
});

test('a database from a newer build is refused rather than damaged', (t) => {
  const tmp = makeTempDir();
  t.after(tmp.cleanup);
  const file = join(tmp.dir, 'p.sqlite');
  const db = openDatabase(file);
  db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
  db.close();
  assert.throws(() => openDatabase(file), /newer SPICE Workbench/);
});
