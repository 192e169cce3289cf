// SIGKILL the real CLI in the middle of an import, run the same command again, and check that nothing
// was lost or stored twice.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { projectDbPath } from '../../main/project/project.ts';
import { openDatabase } from '../../main/db/connection.ts';
import { makeCifarSubset, makeTempDir } from '../helpers/cifar-subset.ts';
import { CIFAR_CLASSES, REPO_DIR } from '../helpers/paths.ts';

const CLI = join(REPO_DIR, 'bin/spice-workbench.js');

test('an import killed with SIGKILL finishes on rerun with no lost and no duplicated rows', { timeout: 120_000 }, async () => {
  const subset = makeCifarSubset(30); // 300 images
  const projectDir = makeTempDir('spice-resume-project-');
  try {
    // One bad file and one duplicate ride along, so the rerun also has errors to keep straight.
    writeFileSync(join(subset.dir, 'cat/broken.jpg'), readFileSync(join(subset.dir, 'cat/0000.jpg')).subarray(0, 500));
    copyFileSync(join(subset.dir, 'dog/0003.jpg'), join(subset.dir, 'truck/dog-copy.jpg'));
    const goodFiles = CIFAR_CLASSES.flatMap((c) => Array.from({ length: 30 }, (_, i) => join(subset.dir, c, `${String(i).padStart(4, '0')}.jpg`)));
    const distinct = new Set(goodFiles.map((f) => createHash('sha256').update(readFileSync(f)).digest('hex'))).size;

    const args = ['import', subset.dir, '--project', projectDir.dir, '--labels-from-folders'];
    const child = spawn(process.execPath, [CLI, ...args], { cwd: REPO_DIR, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    let exitedEarly = false;
    void exited.then(() => (exitedEarly = true));

    const dbFile = projectDbPath(projectDir.dir);
    let atKill = 0;
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline && !exitedEarly) {
      atKill = countImages(dbFile);
      if (atKill > 0) break;
      await sleep(5);
    }
    assert.ok(!exitedEarly, `the import ended before it could be killed:\n${output}`);
    child.kill('SIGKILL');
    assert.equal(await exited, null, 'killed by a signal');
    const afterKill = countImages(dbFile);
    assert.ok(afterKill > 0 && afterKill < distinct, `killed part-way: ${afterKill} of ${distinct} images stored`);

    const rerun = await runCli(args);
    assert.equal(rerun.code, 0, rerun.output);
    assert.match(rerun.output, /added\s+\d+/);
    assert.match(rerun.output, /already present\s+[1-9]\d*/);

    const db = openDatabase(dbFile, { readonly: true });
    try {
      const one = (sql: string) => db.prepare(sql).pluck().get();
      assert.equal(one('SELECT COUNT(*) FROM images'), distinct);
      assert.equal(one('SELECT COUNT(DISTINCT rel_path) FROM images'), distinct);
      assert.equal(one('SELECT COUNT(DISTINCT sha256) FROM images'), distinct);
      assert.equal(one('SELECT COUNT(*) FROM thumbnails'), distinct);
      assert.equal(one('SELECT COUNT(*) FROM images i LEFT JOIN thumbnails t ON t.image_id = i.id WHERE t.image_id IS NULL'), 0);
      assert.equal(one(`SELECT COUNT(*) FROM images WHERE label IS NOT substr(rel_path, 1, instr(rel_path, '/') - 1)`), 0);
      assert.equal(one('PRAGMA integrity_check'), 'ok');
      const errors = db.prepare('SELECT rel_path, reason FROM import_errors ORDER BY rel_path').all();
      assert.deepEqual(errors, [
        { rel_path: 'cat/broken.jpg', reason: 'truncated' },
        { rel_path: 'truck/dog-copy.jpg', reason: 'duplicate' },
      ]);
      const jobs = db.prepare('SELECT id, state, resumed_from FROM jobs ORDER BY id').all() as Array<{ id: number; state: string; resumed_from: number | null }>;
      assert.deepEqual(
        jobs.map((j) => [j.state, j.resumed_from]),
        [
          ['interrupted', null],
          ['done', jobs[0].id],
        ],
      );
    } finally {
      db.close();
    }
  } finally {
    subset.cleanup();
    projectDir.cleanup();
  }
});

/** Images committed so far, read without taking part in the writer's transactions. */
function countImages(dbFile: string): number {
  if (!existsSync(dbFile)) return 0;
  let db: Database.Database | undefined;
  try {
    db = new Database(dbFile, { readonly: true, fileMustExist: true });
    return db.prepare('SELECT COUNT(*) FROM images').pluck().get() as number;
  } catch {
    return 0; // not created or not migrated yet
  } finally {
    db?.close();
  }
}

function runCli(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: REPO_DIR, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('exit', (code) => resolve({ code, output }));
  });
}
