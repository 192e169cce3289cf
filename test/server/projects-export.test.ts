// Project lifecycle and folder export through the services (no transport in between).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, lstatSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServices } from '../../main/app/services/index.ts';
import type { MethodName, ParamsOf, ResultOf } from '../../preload/contract/api.ts';
import { makeCifarSubset, makeTempDir } from '../helpers/cifar-subset.ts';
import { getEmbeddedProject } from '../helpers/embedded-project.ts';
import { MOBILENET_V1 } from '../helpers/paths.ts';

const state = makeTempDir('spice-state-');
const services = createServices({ platform: 'browser', stateDir: state.dir });
const cleanups: Array<() => void> = [state.cleanup];
after(() => {
  services.dispose();
  for (const c of cleanups) c();
});

async function call<M extends MethodName>(method: M, params?: ParamsOf<M>): Promise<ResultOf<M>> {
  const r = await services.dispatch(method, params);
  if (!r.ok) throw Object.assign(new Error(r.error.message), { code: r.error.code });
  return r.result as ResultOf<M>;
}

async function errorCode(method: MethodName, params: unknown): Promise<string | undefined> {
  const r = await services.dispatch(method, params);
  return r.ok ? undefined : r.error.code;
}

test('create imports as a job, records unreadable files, and lands in the recent list', async () => {
  const images = makeCifarSubset(2, { classes: ['dog', 'frog'] });
  const parent = makeTempDir('spice-new-');
  const dir = join(parent.dir, 'nested', 'project');
  cleanups.push(images.cleanup, parent.cleanup);
  writeFileSync(join(images.dir, 'dog', 'broken.jpg'), 'this is not a JPEG');
  assert.equal(await errorCode('runs.list', undefined), 'no-project');
  assert.equal(await errorCode('projects.open', { dir }), 'not-found');
  const jobDone = new Promise<void>((resolve) => {
    const off = services.onPush((e) => {
      if (e.type === 'job' && e.event.type === 'finished' && e.event.kind === 'import') {
        off();
        resolve();
      }
    });
  });
  const created = await call('projects.create', { dir, imageFolder: images.dir, labelsFromFolders: true });
  assert.ok(created.importJobId !== null);
  await jobDone;
  const summary = await call('projects.current');
  assert.equal(summary?.imageCount, 4);
  assert.equal(summary?.labelledCount, 4);
  assert.equal(summary?.errors, 1);
  const errors = await call('projects.importErrors');
  assert.equal(errors.total, 1);
  assert.equal(errors.items[0].relPath, 'dog/broken.jpg');
  assert.equal(await errorCode('projects.create', { dir }), 'conflict');
  const recent = await call('projects.recent');
  assert.equal(recent[0].dir, dir);
  assert.equal(recent[0].exists, true);

  // Embedding with a view bank, started through the contract: a job whose end is pushed.
  const embedFinished = () =>
    new Promise<{ state: string; error?: string }>((resolve) => {
      const off = services.onPush((e) => {
        if (e.type === 'job' && e.event.type === 'finished' && e.event.kind === 'embed') {
          off();
          resolve({ state: e.event.state, error: e.event.error });
        }
      });
    });
  let finished = embedFinished();
  await call('pipeline.startEmbed', { backbone: '/no/such/model.onnx' });
  const failed = await finished;
  assert.equal(failed.state, 'failed');
  assert.match(failed.error ?? '', /no\/such\/model\.onnx/);
  finished = embedFinished();
  await call('pipeline.startEmbed', { backbone: MOBILENET_V1, size: 64, views: { weak: 1, strong: 1 } });
  assert.equal((await finished).state, 'done');
  const [backbone] = await call('backbones.list');
  assert.deepEqual(backbone.views, [
    { view: 'plain', count: 4 },
    { view: 'weak/0', count: 4 },
    { view: 'strong/0', count: 4 },
  ]);
  assert.equal(backbone.inputSize, 64);
  await call('projects.close');
  assert.equal(await call('projects.current'), null);
});

test('a folder export writes one folder per named class under <project>/exports/', async () => {
  const embedded = await getEmbeddedProject();
  const copy = embedded.copy();
  cleanups.push(copy.cleanup);
  copy.project.close();
  await call('projects.open', { dir: copy.dir });
  const started = await call('pipeline.startCluster', { method: 'kmeans', k: 10, seed: 3 });
  await new Promise<void>((resolve) => {
    const off = services.onPush((e) => {
      if (e.type === 'job' && e.event.type === 'finished' && e.event.jobId === started.jobId) {
        off();
        resolve();
      }
    });
  });
  const [run] = await call('runs.list');
  await call('mapping.setMany', { runId: run.id, clusters: [0, 1], className: 'first two' });
  const linked = await call('export.folders', { runId: run.id, mode: 'link' });
  assert.ok(linked);
  assert.ok(linked.dir.startsWith(join(copy.dir, 'exports')));
  assert.equal(linked.files, embedded.count);
  assert.equal(linked.classes, 1);
  const names = readdirSync(linked.dir).sort();
  // One folder per class, the unassigned ones, and the manifest mapping each file to its original.
  assert.deepEqual(names, ['first two', 'manifest.csv', 'unassigned']);
  const first = readdirSync(join(linked.dir, 'first two'));
  assert.ok(first.length > 0);
  assert.ok(lstatSync(join(linked.dir, 'first two', first[0])).isSymbolicLink());
  assert.ok(existsSync(join(linked.dir, 'unassigned')));
  await call('projects.close');
});
