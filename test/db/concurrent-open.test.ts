// Several processes creating the same new project at the same moment all succeed and see one complete
// database: the file is built aside and linked into place, and each migration reads the schema
// version again under the write lock. Repeated, because a race that loses only sometimes is a race.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { openDatabase, SCHEMA_VERSION, schemaVersion } from '../../main/db/connection.ts';
import { makeTempDir } from '../helpers/cifar-subset.ts';
import { REPO_DIR } from '../helpers/paths.ts';

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
    assert.deepEqual(readdirSync(dir).filter((f) => f.includes('.new-')), [], `round ${round}`);
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
