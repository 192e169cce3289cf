// Several processes doing the same first-time thing to one project at the same moment all succeed:
// creating the project (the file is built aside and linked into place), upgrading it (each migration
// reads the schema version again under the write lock), adding a new backbone (insert-or-get).
// Repeated where the race is cheap, because a race that loses only sometimes is a race.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { openDatabase, SCHEMA_VERSION, schemaVersion } from '../../main/db/connection.ts';
import { makeCifarSubset, makeTempDir } from '../helpers/cifar-subset.ts';
import { MOBILENET_V1, REPO_DIR } from '../helpers/paths.ts';

const CHILD = join(REPO_DIR, 'test/db/fixtures/open-project.ts');

function openInChild(dir: string, startAt: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dir, String(startAt)], { cwd: REPO_DIR, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

test('three processes creating one new project at once all succeed, eight times over', async (t) => {
  const tmp = makeTempDir('spice-race-');
  t.after(tmp.cleanup);
  for (let round = 0; round < 8; round++) {
    const dir = join(tmp.dir, `p${round}`);
    // Children need a moment to load; all of them spin until the same instant, then open.
    const startAt = Date.now() + 2500;
    const results = await Promise.all([0, 1, 2].map(() => openInChild(dir, startAt)));
    for (const r of results) {
      assert.equal(r.code, 0, `round ${round}: ${r.stderr}`);
      assert.equal(JSON.parse(r.stdout).version, SCHEMA_VERSION);
    }
    // One database, no scratch left behind, complete.
    assert.deepEqual(
      readdirSync(dir).filter((f) => f.includes('.new-')),
      [],
      `round ${round}`,
    );
    const db = openDatabase(join(dir, 'project.sqlite'));
    assert.equal(schemaVersion(db), SCHEMA_VERSION);
    assert.equal(db.prepare(`SELECT COUNT(*) FROM meta WHERE key = 'created_at'`).pluck().get(), 1);
    db.close();
  }
});

test('two processes upgrading one old database at once both succeed', async (t) => {
  const tmp = makeTempDir('spice-race-');
  t.after(tmp.cleanup);
  const { migrations } = await import('../../main/db/migrations/index.ts');
  const Database = (await import('better-sqlite3')).default;
  for (let round = 0; round < 4; round++) {
    const dir = join(tmp.dir, `old${round}`);
    const { mkdirSync } = await import('node:fs');
    mkdirSync(dir);
    // A database as a build with migrations 1..6 left it.
    const old = new Database(join(dir, 'project.sqlite'));
    old.pragma('journal_mode = WAL');
    for (const m of migrations.filter((m) => m.version <= 6)) {
      old.exec(m.up);
      old.pragma(`user_version = ${m.version}`);
    }
    old.close();
    const startAt = Date.now() + 2500;
    const results = await Promise.all([0, 1].map(() => openInChild(dir, startAt)));
    for (const r of results) assert.equal(r.code, 0, `round ${round}: ${r.stderr}`);
    const db = openDatabase(join(dir, 'project.sqlite'));
    assert.equal(schemaVersion(db), SCHEMA_VERSION);
    db.close();
  }
});

function cliAsync(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(REPO_DIR, 'bin/spice-workbench.js'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (output += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (output += d));
    child.on('exit', (code) => resolve({ code, output }));
  });
}

test('embed runs adding the same new backbone at once all succeed, with one backbone row', async (t) => {
  const tmp = makeTempDir('spice-race-');
  const images = makeCifarSubset(4, { classes: ['cat', 'ship'] });
  t.after(() => {
    tmp.cleanup();
    images.cleanup();
  });
  for (let round = 0; round < 2; round++) {
    const dir = join(tmp.dir, `project${round}`);
    const imported = spawnSync(process.execPath, [join(REPO_DIR, 'bin/spice-workbench.js'), 'import', images.dir, '--project', dir], { encoding: 'utf8' });
    assert.equal(imported.status, 0, imported.stderr);
    // Each looks for the backbone, checks the model (a second or so), then adds it.
    const results = await Promise.all([0, 1, 2].map(() => cliAsync(['embed', '--project', dir, '--model', MOBILENET_V1])));
    for (const r of results) assert.equal(r.code, 0, `round ${round}: ${r.output}`);
    const db = openDatabase(join(dir, 'project.sqlite'));
    assert.equal(db.prepare('SELECT COUNT(*) FROM backbones').pluck().get(), 1);
    assert.equal(db.prepare(`SELECT COUNT(*) FROM embeddings WHERE view = 'plain'`).pluck().get(), images.count);
    db.close();
  }
});
