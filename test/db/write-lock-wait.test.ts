// A person's edit while another process is writing the project waits for it, then succeeds. It used to
// fail at once with "database is locked" whenever its transaction read before writing: such a
// transaction upgrades its read lock, and SQLite does not wait for that (no busy handler). Every
// read-then-write transaction now starts as a write (BEGIN IMMEDIATE), so the busy timeout applies.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createServices, type Services } from '../../main/app/services/index.ts';
import { runKmeans } from '../../main/pipeline/cluster/run-kmeans.ts';
import { makeTempDir } from '../helpers/cifar-subset.ts';
import { getEmbeddedProject } from '../helpers/embedded-project.ts';
import { REPO_DIR } from '../helpers/paths.ts';

const HOLDER = join(REPO_DIR, 'test/db/fixtures/hold-write-lock.ts');
/** Long enough that the edit below surely starts while the lock is held. */
const HOLD_MS = 1500;

let temp: ReturnType<typeof makeTempDir>;
let cleanup: (() => void) | undefined;
let services: Services;
let dbFile = '';
let runId = 0;
let ids: number[] = [];

before(async () => {
  const source = await getEmbeddedProject();
  const copy = source.copy();
  runId = await runKmeans(copy.project, { k: 3, seed: 0, restarts: 2 });
  ids = copy.project.db.prepare('SELECT id FROM images ORDER BY id').pluck().all() as number[];
  copy.project.close();
  cleanup = copy.cleanup;
  dbFile = join(copy.dir, 'project.sqlite');
  temp = makeTempDir('spice-lockwait-');
  services = createServices({ platform: 'browser', stateDir: temp.dir });
  const opened = await services.dispatch('projects.open', { dir: copy.dir });
  assert.ok(opened.ok);
});

after(() => {
  services?.dispose();
  cleanup?.();
  temp?.cleanup();
});

/** Runs `call` while another process holds the write lock; returns its outcome. */
async function whileLocked(call: () => Promise<{ ok: boolean; error?: { code: string; message: string } }>) {
  const child = spawn(process.execPath, ['--import', 'tsx', HOLDER, dbFile, String(HOLD_MS)], { cwd: REPO_DIR, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  await new Promise<void>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (d: string) => d.includes('locked') && resolve());
    child.once('exit', (code) => reject(new Error(`the lock holder exited (${code}) before locking: ${err}`)));
  });
  const outcome = await call();
  await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
  return outcome;
}

const edits: Array<[string, () => [string, unknown]]> = [
  ['name a cluster', () => ['mapping.setClusterName', { runId, cluster: 0, className: 'cat' }]],
  ['name several clusters', () => ['mapping.setMany', { runId, clusters: [1, 2], className: 'ship' }]],
  ['move images', () => ['corrections.move', { imageIds: [ids[0], ids[1]], className: 'frog' }]],
  ['mark an outlier', () => ['corrections.markOutlier', { imageIds: [ids[2]] }]],
  ['create a class', () => ['labels.createClass', { name: 'bird' }]],
  ['rename a class', () => ['labels.renameClass', { from: 'bird', to: 'birds' }]],
  ['give a class a hotkey', () => ['labels.setHotkey', { name: 'birds', hotkey: 'b' }]],
  ['accept the model’s labels', () => ['labels.accept', { runId, imageIds: [ids[3], ids[4]] }]],
];

for (const [what, make] of edits) {
  test(`${what} while another process writes: waits, then succeeds`, async () => {
    const [method, params] = make();
    const outcome = await whileLocked(() => services.dispatch(method, params));
    assert.ok(outcome.ok, `${method}: ${JSON.stringify(outcome.error)}`);
  });
}
