import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
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

test('a version-5 database upgrades to allow fixed views and keeps its view specs', (t) => {
  const tmp = makeTempDir();
  t.after(tmp.cleanup);
  const file = join(tmp.dir, 'p.sqlite');
  // A database as a build with migrations 1..5 left it.
  const old = new Database(file);
  old.pragma('foreign_keys = ON');
  for (const m of migrations.filter((m) => m.version <= 5)) {
    old.exec(m.up);
    old.pragma(`user_version = ${m.version}`);
  }
  old
    .prepare(
      `INSERT INTO backbones (name, source, location, input_size, channel_order, mean, std, input_name, output_name, output_dim, added_at)
       VALUES ('bb', 'file', '/x.onnx', 128, 'RGB', '[0.5,0.5,0.5]', '[0.5,0.5,0.5]', 'input', 'features', 1024, 0)`,
    )
    .run();
  const backboneId = (old.prepare('SELECT id FROM backbones').get() as { id: number }).id;
  const insert = old.prepare('INSERT INTO view_specs (backbone_id, view, kind, seed, input_size, params) VALUES (?, ?, ?, ?, ?, ?)');
  insert.run(backboneId, 'plain', 'plain', 0, 128, '{"resize":1}');
  insert.run(backboneId, 'weak/0', 'weak', 3, 128, '{"cropScale":[0.5,1]}');
  assert.throws(() => insert.run(backboneId, 'fixed/gray', 'fixed', 0, 128, '{}'), /CHECK constraint/);
  assert.equal(old.pragma('user_version', { simple: true }), 5);
  old.close();

  const db = openDatabase(file);
  t.after(() => db.close());
  assert.equal(schemaVersion(db), SCHEMA_VERSION);
  assert.ok(SCHEMA_VERSION >= 6);
  const rows = () => db.prepare('SELECT backbone_id, view, kind, seed, input_size, params FROM view_specs ORDER BY view').all();
  assert.deepEqual(rows(), [
    { backbone_id: backboneId, view: 'plain', kind: 'plain', seed: 0, input_size: 128, params: '{"resize":1}' },
    { backbone_id: backboneId, view: 'weak/0', kind: 'weak', seed: 3, input_size: 128, params: '{"cropScale":[0.5,1]}' },
  ]);
  db.prepare(`INSERT INTO view_specs (backbone_id, view, kind, seed, input_size, params) VALUES (?, 'fixed/gray', 'fixed', 0, 128, '{}')`).run(backboneId);
  assert.equal(rows().length, 3);
  // Still STRICT, still keyed (backbone, view), still tied to its backbone, other kinds still refused.
  const sql = (db.prepare(`SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = 'view_specs'`).get() as { sql: string }).sql;
  assert.match(sql, /STRICT/);
  assert.doesNotMatch(sql, /view_specs_new/, 'no trace of the temporary name');
  assert.throws(() => db.prepare(`INSERT INTO view_specs (backbone_id, view, kind, seed, input_size, params) VALUES (?, 'fixed/gray', 'fixed', 0, 128, '{}')`).run(backboneId), /UNIQUE|PRIMARY KEY/);
  assert.throws(() => db.prepare(`INSERT INTO view_specs (backbone_id, view, kind, seed, input_size, params) VALUES (?, 'x', 'blurred', 0, 128, '{}')`).run(backboneId), /CHECK constraint/);
  assert.throws(() => db.prepare(`INSERT INTO view_specs (backbone_id, view, kind, seed, input_size, params) VALUES (999, 'plain', 'plain', 0, 128, '{}')`).run(), /FOREIGN KEY/);
  assert.deepEqual(db.pragma('foreign_key_check'), []);
  db.prepare('DELETE FROM backbones WHERE id = ?').run(backboneId);
  assert.equal(rows().length, 0, 'deleting the backbone still deletes its view specs');
});
