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
  for (const table of ['images', 'embeddings', 'jobs', 'runs', 'assignments', 'person_labels', 'knn_graphs']) {
    assert.ok(
      strict.some((r) => r.name === table),
      `${table} is STRICT`,
    );
  }
  db.close();
});

test('migrations are numbered 1..N without gaps and reopening does not re-run them', (t) => {
  assert.deepEqual(
    migrations.map((m) => m.version),
    migrations.map((_, i) => i + 1),
  );
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
  assert.throws(
    () => db.prepare(`INSERT INTO view_specs (backbone_id, view, kind, seed, input_size, params) VALUES (?, 'fixed/gray', 'fixed', 0, 128, '{}')`).run(backboneId),
    /UNIQUE|PRIMARY KEY/,
  );
  assert.throws(
    () => db.prepare(`INSERT INTO view_specs (backbone_id, view, kind, seed, input_size, params) VALUES (?, 'x', 'blurred', 0, 128, '{}')`).run(backboneId),
    /CHECK constraint/,
  );
  assert.throws(
    () => db.prepare(`INSERT INTO view_specs (backbone_id, view, kind, seed, input_size, params) VALUES (999, 'plain', 'plain', 0, 128, '{}')`).run(),
    /FOREIGN KEY/,
  );
  assert.deepEqual(db.pragma('foreign_key_check'), []);
  db.prepare('DELETE FROM backbones WHERE id = ?').run(backboneId);
  assert.equal(rows().length, 0, 'deleting the backbone still deletes its view specs');
});

test('a version-6 database upgrades to person labels and keeps every run, assignment, name and label', (t) => {
  const tmp = makeTempDir();
  t.after(tmp.cleanup);
  const file = join(tmp.dir, 'p.sqlite');
  // A database as a build with migrations 1..6 left it, with a run, its assignments, model and names,
  // a correction, an outlier and few-shot labels (one on an image that also has a correction).
  const old = new Database(file);
  old.pragma('foreign_keys = ON');
  for (const m of migrations.filter((m) => m.version <= 6)) {
    old.exec(m.up);
    old.pragma(`user_version = ${m.version}`);
  }
  old.exec(`
    INSERT INTO backbones (id, name, source, location, input_size, channel_order, mean, std, input_name, output_name, output_dim, added_at)
      VALUES (1, 'bb', 'file', '/x.onnx', 128, 'RGB', '[0.5,0.5,0.5]', '[0.5,0.5,0.5]', 'input', 'features', 4, 0);
    INSERT INTO images (id, rel_path, sha256, width, height, bytes, format, imported_at) VALUES
      (1, 'a.jpg', 'h1', 32, 32, 10, 'jpeg', 0), (2, 'b.jpg', 'h2', 32, 32, 10, 'jpeg', 0),
      (3, 'c.jpg', 'h3', 32, 32, 10, 'jpeg', 0), (4, 'd.jpg', 'h4', 32, 32, 10, 'jpeg', 0);
    INSERT INTO runs (id, method, backbone_id, k, seed, params, state, created_at) VALUES (1, 'spice', 1, 2, 0, '{}', 'done', 5);
    INSERT INTO assignments (run_id, image_id, cluster, confidence, doubt, reliable, probs) VALUES
      (1, 1, 0, 0.9, 0.1, 1, x'0000803f00000000'), (1, 2, 1, 0.8, 0.2, 0, x'000000000000803f'),
      (1, 3, 1, 0.7, 0.3, 0, x'000000000000803f'), (1, 4, 0, 0.6, 0.4, 0, x'0000803f00000000');
    INSERT INTO run_models (run_id, kind, spec, data) VALUES (1, 'spice-mlp', '{}', x'00');
    INSERT INTO classes (name, created_at) VALUES ('cat', 0), ('dog', 0);
    INSERT INTO cluster_names (run_id, cluster, class_name) VALUES (1, 0, 'cat'), (1, 1, 'dog');
    INSERT INTO corrections (image_id, class_name, outlier, updated_at) VALUES (2, 'cat', 0, 7), (3, NULL, 1, 8);
    INSERT INTO few_shot_labels (image_id, class_name) VALUES (2, 'dog'), (4, 'dog');
  `);
  old.close();

  const db = openDatabase(file);
  t.after(() => db.close());
  assert.equal(schemaVersion(db), SCHEMA_VERSION);
  assert.equal(db.prepare('SELECT COUNT(*) FROM assignments').pluck().get(), 4, 'rebuilding runs did not cascade into assignments');
  assert.equal(db.prepare('SELECT COUNT(*) FROM run_models').pluck().get(), 1);
  assert.equal(db.prepare('SELECT COUNT(*) FROM cluster_names').pluck().get(), 2);
  assert.deepEqual(db.prepare('SELECT image_id, class_name, outlier, origin FROM person_labels ORDER BY image_id').all(), [
    { image_id: 2, class_name: 'cat', outlier: 0, origin: 'set' }, // the correction wins over the few-shot label
    { image_id: 3, class_name: null, outlier: 1, origin: 'set' },
    { image_id: 4, class_name: 'dog', outlier: 0, origin: 'imported' },
  ]);
  assert.deepEqual(db.prepare('SELECT image_id, final_label, person FROM run_labels WHERE run_id = 1 ORDER BY image_id').raw().all(), [
    [1, 'cat', 0],
    [2, 'cat', 1],
    [3, null, 1],
    [4, 'dog', 1],
  ]);
  assert.equal(db.prepare(`SELECT COUNT(*) FROM sqlite_schema WHERE name IN ('corrections', 'few_shot_labels', 'runs_new')`).pluck().get(), 0);
  // The new run method and state are accepted; the foreign keys still hold.
  db.prepare(`INSERT INTO runs (method, backbone_id, k, seed, params, state, names_from, created_at) VALUES ('refine', 1, 2, 0, '{}', 'interrupted', 1, 9)`).run();
  assert.deepEqual(db.pragma('foreign_key_check'), []);
  assert.equal(db.pragma('foreign_keys', { simple: true }), 1);
  db.prepare('DELETE FROM runs WHERE id = 1').run();
  assert.equal(db.prepare('SELECT COUNT(*) FROM assignments').pluck().get(), 0, 'deleting a run still deletes its assignments');
  assert.equal(db.prepare('SELECT names_from FROM runs').pluck().get(), null, 'a run whose names came from a deleted run keeps going');
});
