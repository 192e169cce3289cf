// The real CLI, killed with SIGKILL in the middle of embedding 200 images, then run again: every vector
// is there exactly once and the database is intact.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { openProject, projectDbPath } from '../../main/project/project.ts';
import { openDatabase } from '../../main/db/connection.ts';
import { importFolder } from '../../main/pipeline/import/import-job.ts';
import { makeCifarSubset, makeTempDir } from '../helpers/cifar-subset.ts';
import { MOBILENET_V1, REPO_DIR } from '../helpers/paths.ts';

const images = makeCifarSubset(20); // 200 images
const projectDir = makeTempDir('spice-resume-');
const CLI = join(REPO_DIR, 'bin', 'spice-workbench.js');
const args = ['embed', '--project', projectDir.dir, '--model', MOBILENET_V1, '--views', 'weak=1,strong=1', '--batch', '16', '--seed', '9'];
const TOTAL = 200 * 3;

after(() => {
  projectDir.cleanup();
  images.cleanup();
});

function count(): number {
  const db = openDatabase(projectDbPath(projectDir.dir), { readonly: true });
  try {
    return (db.prepare('SELECT COUNT(*) AS n FROM embeddings').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

test('SIGKILL in the middle of embedding, then a rerun: no vector lost, none duplicated, database intact', { timeout: 300_000 }, async () => {
  const project = openProject(projectDir.dir);
  try {
    assert.equal((await importFolder(project, images.dir, { labelsFromFolders: true })).added, 200);
  } finally {
    project.close();
  }

  const child = spawn(process.execPath, [CLI, ...args], { cwd: REPO_DIR, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  // Kill once several batches are committed, well before the end.
  const deadline = Date.now() + 240_000;
  let seen = 0;
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    seen = child.exitCode === null ? count() : -1;
    if (seen < 0 || seen >= 80) break;
  }
  child.kill('SIGKILL');
  await exited;
  const afterKill = count();
  assert.ok(seen >= 80, `the CLI ended before it could be killed mid-way:\n${output}`);
  assert.ok(afterKill < TOTAL, `killed too late (${afterKill} of ${TOTAL} stored)`);
  assert.equal(afterKill % 16, 0, 'only whole batches are committed');

  const rerun = spawnSync(process.execPath, [CLI, ...args], { cwd: REPO_DIR, encoding: 'utf8', timeout: 240_000 });
  assert.equal(rerun.status, 0, `${rerun.stdout}\n${rerun.stderr}`);
  assert.match(rerun.stdout, new RegExp(`computed\\s+${TOTAL - afterKill}\\b`));
  assert.match(rerun.stdout, new RegExp(`already stored\\s+${afterKill}\\b`));

  const db = openDatabase(projectDbPath(projectDir.dir), { readonly: true });
  try {
    assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
    const perView = db.prepare('SELECT view, COUNT(*) AS n, COUNT(DISTINCT image_id) AS d FROM embeddings GROUP BY view ORDER BY view').all();
    assert.deepEqual(perView, [
      { view: 'plain', n: 200, d: 200 },
      { view: 'strong/0', n: 200, d: 200 },
      { view: 'weak/0', n: 200, d: 200 },
    ]);
    const jobs = db.prepare(`SELECT id, state, resumed_from FROM jobs WHERE kind = 'embed' ORDER BY id`).all() as Array<{
      id: number;
      state: string;
      resumed_from: number | null;
    }>;
    assert.equal(jobs.length, 2);
    assert.equal(jobs[0].state, 'interrupted');
    assert.equal(jobs[1].state, 'done');
    assert.equal(jobs[1].resumed_from, jobs[0].id);
  } finally {
    db.close();
  }
});
