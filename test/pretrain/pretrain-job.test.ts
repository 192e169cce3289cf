// The pretrain job end to end on real CIFAR-10 images: a CLI run killed with SIGKILL resumes from its
// last checkpoint and ends exactly as an uninterrupted run, the loss falls, cancel and rerun work,
// and the trained encoder serves the embedding stage and the classification of new files.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openProject, projectDbPath, type Project } from '../../main/project/project.ts';
import { countEmbeddings, loadEmbeddingMatrix } from '../../main/db/embeddings-repo.ts';
import { JobCancelledError } from '../../main/jobs/runner.ts';
import { PretrainConfigError } from '../../main/ml/moco/config.ts';
import { pretrainProject, type PretrainJobOptions } from '../../main/pipeline/pretrain/pretrain-job.ts';
import { getPretrainRun, readLossCurve } from '../../main/pipeline/pretrain/pretrain-records.ts';
import { getBackboneByName } from '../../main/db/backbones-repo.ts';
import { embedFiles, embedProject } from '../../main/pipeline/embed/embed-job.ts';
import { importFolder } from '../../main/pipeline/import/import-job.ts';
import { makeCifarSubset, makeTempDir } from '../helpers/cifar-subset.ts';
import { REPO_DIR, demoImage } from '../helpers/paths.ts';

// 100 images, 3 steps of 32 per epoch, a 4-wide ResNet-18: seconds per epoch on two cores.
const SETTINGS = { epochs: 4, width: 4, batchSize: 32, queueSize: 32, lr: 0.2, keyMomentum: 0.9, seed: 1 } satisfies PretrainJobOptions;
const CLI_SETTINGS = ['--epochs', '4', '--width', '4', '--batch', '32', '--queue', '32', '--lr', '0.2', '--key-momentum', '0.9', '--seed', '1'];
const STEPS = 4 * 3;

let images: ReturnType<typeof makeCifarSubset>;
let dir: ReturnType<typeof makeTempDir>;
let project: Project;

before(async () => {
  images = makeCifarSubset(10);
  dir = makeTempDir('spice-pretrain-');
  project = openProject(dir.dir);
  await importFolder(project, images.dir, { labelsFromFolders: true });
});

after(() => {
  project?.close();
  dir?.cleanup();
  images?.cleanup();
});

function cli(args: string[]): { child: ReturnType<typeof spawn>; done: Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string; err: string }> } {
  const child = spawn(process.execPath, [join(REPO_DIR, 'bin/spice-workbench.js'), ...args], { cwd: REPO_DIR, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string; err: string }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, out, err })),
  );
  return { child, done };
}

function epochsDone(name: string): number {
  const db = new Database(projectDbPath(dir.dir), { readonly: true, fileMustExist: true });
  try {
    const row = db.prepare('SELECT epochs_done FROM pretrain_runs WHERE name = ?').get(name) as { epochs_done: number } | undefined;
    return row?.epochs_done ?? 0;
  } catch {
    return 0; // the table appears with the first migration of the child
  } finally {
    db.close();
  }
}

test('a SIGKILLed CLI run resumes from its checkpoint and ends exactly like an uninterrupted run', async (t) => {
  const first = cli(['pretrain', '--project', dir.dir, '--name', 'killed', ...CLI_SETTINGS]);
  const deadline = Date.now() + 240_000;
  while (epochsDone('killed') < 1) {
    assert.ok(Date.now() < deadline, 'the first epoch never finished');
    await new Promise((r) => setTimeout(r, 100));
  }
  first.child.kill('SIGKILL');
  const killed = await first.done;
  assert.equal(killed.signal, 'SIGKILL');
  const mid = getPretrainRun(project.db, 'killed')!;
  assert.equal(mid.state, 'training');
  assert.ok(mid.epochsDone >= 1 && mid.epochsDone < 4, `killed after ${mid.epochsDone} epochs`);
  assert.match(killed.err, /TensorFlow\.js backend wasm/, 'the log says which backend trains');

  const second = await cli(['pretrain', '--project', dir.dir, '--name', 'killed', ...CLI_SETTINGS]).done;
  assert.equal(second.code, 0, second.err);
  assert.match(second.out, new RegExp(`resumed after epoch ${mid.epochsDone}`));
  assert.match(second.err, new RegExp(`resuming 'killed' from its checkpoint after epoch ${mid.epochsDone}/4`));
  const jobs = project.db.prepare(`SELECT id, state, resumed_from FROM jobs WHERE kind = 'pretrain' ORDER BY id`).all() as Array<{
    id: number;
    state: string;
    resumed_from: number | null;
  }>;
  const [a, b] = jobs.slice(-2);
  assert.equal(a.state, 'interrupted');
  assert.equal(b.state, 'done');
  assert.equal(b.resumed_from, a.id);

  const run = getPretrainRun(project.db, 'killed')!;
  assert.equal(run.state, 'done');
  assert.equal(run.epochsDone, 4);
  const curve = readLossCurve(project.db, 'killed')!;
  assert.deepEqual(
    curve.steps.map((s) => s.step),
    Array.from({ length: STEPS }, (_, i) => i),
    'every step once, none lost or doubled',
  );

  // Weights, key encoder, queue, optimizer and RNG all came back: the same losses, step for step.
  const straight = await pretrainProject(project, { name: 'straight', ...SETTINGS });
  assert.equal(straight.resumedFromEpoch, null);
  const reference = readLossCurve(project.db, 'straight')!;
  for (let i = 0; i < STEPS; i++) {
    const x = curve.steps[i].loss;
    const y = reference.steps[i].loss;
    assert.ok(Math.abs(x - y) <= 1e-5 * Math.max(1, Math.abs(y)), `step ${i}: resumed ${x} vs uninterrupted ${y}`);
  }

  // The first epoch's loss is low only while the queue still holds its random start; from the second
  // epoch on the negatives are real keys, and the loss must fall from there.
  const e = curve.perEpoch.map((p) => p.meanLoss);
  t.diagnostic(`killed after epoch ${mid.epochsDone}; per-epoch mean loss ${e.map((v) => v.toFixed(4)).join(' ')}`);
  assert.equal(e.length, 4);
  assert.ok(e[3] < e[1], `loss did not fall: per-epoch means ${e.map((v) => v.toFixed(4)).join(', ')}`);
});

test('the trained encoder is a backbone for the embedding stage and for classifying new files', async () => {
  const backbone = getBackboneByName(project.db, 'project:killed');
  assert.ok(backbone, 'backbone row project:killed');
  assert.equal(backbone.source, 'project');
  assert.equal(backbone.location, 'project:killed');
  assert.equal(backbone.outputDim, 32);
  assert.equal(backbone.inputSize, 32);

  const summary = await embedProject(project, { backbone: 'project:killed' });
  assert.equal(countEmbeddings(project.db, backbone.id, 'plain'), images.count);
  const m = loadEmbeddingMatrix(project.db, backbone.id);
  assert.equal(m.dim, 32);
  assert.equal(m.imageIds.length, images.count);
  const row = m.data.subarray(0, 32);
  assert.ok(Math.abs(Math.hypot(...row) - 1) < 1e-4, 'stored vectors are unit length');
  assert.ok(summary);

  // New files (not in the project) go through the same extractor.
  // Images the training never saw (it took the first 10 per class).
  const fresh = [demoImage('ship', 50), demoImage('cat', 50)];
  const res = await embedFiles(project, backbone, fresh);
  assert.equal(res.errors.length, 0);
  assert.equal(res.data.length, 2 * 32);
  assert.ok(res.data.every(Number.isFinite));
});

test('cancel keeps the last epoch; a rerun continues; other settings under the same name are refused', async () => {
  const controller = new AbortController();
  const stop = project.jobs.onEvent((ev) => {
    if (ev.type === 'log' && ev.message.startsWith('epoch 1/2')) controller.abort();
  });
  const options = { ...SETTINGS, epochs: 2, name: 'cancelled' };
  await assert.rejects(pretrainProject(project, { ...options, signal: controller.signal }), JobCancelledError);
  stop();
  assert.equal(getPretrainRun(project.db, 'cancelled')!.epochsDone, 1);
  assert.equal((project.db.prepare(`SELECT state FROM jobs WHERE kind = 'pretrain' ORDER BY id DESC LIMIT 1`).get() as { state: string }).state, 'cancelled');

  await assert.rejects(
    pretrainProject(project, { ...options, epochs: 3 }),
    (err: Error) => err instanceof PretrainConfigError && /epochs 2 -> 3/.test(err.message) && /--restart/.test(err.message),
  );

  const resumed = await pretrainProject(project, options);
  assert.equal(resumed.resumedFromEpoch, 1);
  assert.equal(resumed.steps, 3);
  const again = await pretrainProject(project, options);
  assert.equal(again.alreadyDone, true);
  await assert.rejects(pretrainProject(project, { ...options, width: 8 }), /already exists with other settings \(width 4 -> 8\); choose another --name$/);
});

test('pretrain CLI: usage errors exit 2 with a message, a missing project exits 1', async () => {
  const noEpochs = await cli(['pretrain', '--project', dir.dir]).done;
  assert.equal(noEpochs.code, 2);
  assert.match(noEpochs.err, /--epochs is required/);
  const badArch = await cli(['pretrain', '--project', dir.dir, '--epochs', '1', '--arch', 'resnet99']).done;
  assert.equal(badArch.code, 2);
  assert.match(badArch.err, /--arch must be one of resnet10, resnet18, resnet34/);
  const badBatch = await cli(['pretrain', '--project', dir.dir, '--epochs', '1', '--batch', '200', '--width', '4']).done;
  assert.equal(badBatch.code, 2);
  assert.match(badBatch.err, /batch size 200 is larger than the 100 images/);
  const missing = await cli(['pretrain', '--project', join(dir.dir, 'nope'), '--epochs', '1']).done;
  assert.equal(missing.code, 1);
  assert.match(missing.err, /no project at/);
});
