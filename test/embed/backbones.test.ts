import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { mkdirSync, writeFileSync } from 'node:fs';
import sharp from 'sharp';
import { openProject, type Project } from '../../main/project/project.ts';
import { importFolder } from '../../main/pipeline/import/import-job.ts';
import { embedProject } from '../../main/pipeline/embed/embed-job.ts';
import { JobCancelledError } from '../../main/jobs/runner.ts';
import { loadEmbeddingMatrix } from '../../main/db/embeddings-repo.ts';
import { IMAGENET_MEAN, IMAGENET_STD, resolveBackbone } from '../../main/models/resolve-backbone.ts';
import { listBackbones } from '../../main/db/backbones-repo.ts';
import { checkModelShape } from '../../main/models/onnx-inspect.ts';
import { chooseInputSize } from '../../main/models/input-size.ts';
import { makeTempDir } from '../helpers/cifar-subset.ts';
import { MOBILENET_V1 } from '../helpers/paths.ts';
import { writeMeanColourModel } from './tiny-onnx.ts';

// Solid-colour images: the tiny mean-colour model's output is then known exactly.
const COLOURS: Array<[string, [number, number, number]]> = [
  ['red.png', [200, 30, 10]],
  ['teal.png', [20, 160, 150]],
  ['grey.png', [128, 128, 128]],
];

const work = makeTempDir('spice-backbones-');
const imagesDir = join(work.dir, 'images');
let project: Project;

before(async () => {
  mkdirSync(imagesDir);
  for (const [name, [r, g, b]] of COLOURS) {
    await sharp({ create: { width: 40, height: 24, channels: 3, background: { r, g, b } } })
      .png()
      .toFile(join(imagesDir, name));
  }
  project = openProject(join(work.dir, 'project'));
  const imported = await importFolder(project, imagesDir);
  assert.equal(imported.added, 3);
});

after(() => {
  project.close();
  work.cleanup();
});

function expected(rgb: [number, number, number], mean: readonly number[], std: readonly number[], order: 'RGB' | 'BGR'): number[] {
  const px = order === 'RGB' ? rgb : [rgb[2], rgb[1], rgb[0]];
  const v = px.map((p, c) => (p / 255 - mean[c]) / std[c]);
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}

function storedByName(backboneId: number): Map<string, number[]> {
  const m = loadEmbeddingMatrix(project.db, backboneId, 'plain');
  const out = new Map<string, number[]>();
  m.imageIds.forEach((id, i) => {
    const rel = (project.db.prepare('SELECT rel_path FROM images WHERE id = ?').get(id) as { rel_path: string }).rel_path;
    out.set(rel, Array.from(m.data.subarray(i * m.dim, (i + 1) * m.dim)));
  });
  return out;
}

function assertClose(actual: number[], want: number[], what: string) {
  assert.equal(actual.length, want.length);
  actual.forEach((a, i) => assert.ok(Math.abs(a - want[i]) < 1e-4, `${what}[${i}]: ${a} vs ${want[i]}`));
}

test('a local ONNX file without a JSON beside it gets ImageNet mean/std and is embedded with them', async () => {
  const model = join(work.dir, 'plainmean.onnx');
  writeMeanColourModel(model);
  const logs: string[] = [];
  const b = await resolveBackbone(project, model, { size: 32, log: (m) => logs.push(m) });
  assert.equal(b.name, 'plainmean');
  assert.equal(b.source, 'file');
  assert.deepEqual([b.mean, b.std, b.channelOrder, b.layout, b.outputDim, b.inputSize], [IMAGENET_MEAN, IMAGENET_STD, 'RGB', 'NCHW', 3, 32]);
  assert.ok(
    logs.some((l) => /no JSON beside plainmean\.onnx.*ImageNet/.test(l)),
    logs.join('\n'),
  );
  const s = await embedProject(project, { backbone: model, size: 32 });
  assert.equal(s.computed, 3);
  const stored = storedByName(b.id);
  for (const [name, rgb] of COLOURS) assertClose(stored.get(name)!, expected(rgb, IMAGENET_MEAN, IMAGENET_STD, 'RGB'), name);
});

test('the JSON beside a model sets mean/std, channel order and sizes; NHWC models are fed NHWC', async () => {
  const model = join(work.dir, 'bgr-nhwc.onnx');
  writeMeanColourModel(model, { layout: 'NHWC' });
  const mean = [0.4, 0.3, 0.2];
  const std = [0.2, 0.25, 0.5];
  writeFileSync(
    join(work.dir, 'bgr-nhwc.json'),
    JSON.stringify({
      license: 'MIT',
      onnx: { channel_order: 'BGR', mean, std, native_input_size: 64, recommended_input_size_for_32px_images: 48, allowed_input_sizes: 'multiples of 16' },
    }),
  );
  const b = await resolveBackbone(project, model);
  assert.deepEqual([b.channelOrder, b.layout, b.license, b.inputSize], ['BGR', 'NHWC', 'MIT', 48], 'median side 40 px is small: the JSON small-image size');
  await assert.rejects(resolveBackbone(project, model, { size: 40 }), /multiple of 16/);
  await embedProject(project, { backbone: model });
  const stored = storedByName(b.id);
  for (const [name, rgb] of COLOURS) assertClose(stored.get(name)!, expected(rgb, mean, std, 'BGR'), name);
});

test('user-given mean/std override the defaults', async () => {
  const model = join(work.dir, 'usermean.onnx');
  writeMeanColourModel(model);
  const b = await resolveBackbone(project, model, { mean: [0, 0, 0], std: [1, 1, 1], size: 24 });
  assert.deepEqual(
    [b.mean, b.std],
    [
      [0, 0, 0],
      [1, 1, 1],
    ],
  );
});

test('cancelling stops after the current batch, keeps what was stored, and a rerun finishes the rest', async () => {
  const model = join(work.dir, 'cancel.onnx');
  writeMeanColourModel(model);
  const controller = new AbortController();
  await assert.rejects(
    embedProject(project, { backbone: model, size: 32, batchSize: 1, signal: controller.signal, onTiming: () => controller.abort() }),
    (err: unknown) => err instanceof JobCancelledError,
  );
  const b = listBackbones(project.db).find((x) => x.name === 'cancel')!;
  assert.equal(loadEmbeddingMatrix(project.db, b.id).imageIds.length, 1);
  const job = project.db.prepare(`SELECT state FROM jobs WHERE kind = 'embed' ORDER BY id DESC LIMIT 1`).get() as { state: string };
  assert.equal(job.state, 'cancelled');
  const rest = await embedProject(project, { backbone: model, size: 32 });
  assert.deepEqual([rest.computed, rest.alreadyPresent], [2, 1]);
});

test('models that are not image feature extractors are refused when added, with the reason', async () => {
  const cases: Array<[string, Parameters<typeof writeMeanColourModel>[1], RegExp]> = [
    ['gray.onnx', { channels: 1 }, /no dimension of 3 colour channels/],
    ['map.onnx', { keepDims: true }, /expected 2-D \(batch, features\)/],
    ['ints.onnx', { inputType: 'int64' }, /is int64, expected float32/],
    ['fixed.onnx', { fixedSize: 64 }, /only takes 64x64 input, not 32/],
  ];
  for (const [file, opts, why] of cases) {
    const path = join(work.dir, file);
    writeMeanColourModel(path, opts);
    await assert.rejects(resolveBackbone(project, path, { size: 32 }), why, file);
  }
  const garbage = join(work.dir, 'garbage.onnx');
  writeFileSync(garbage, 'this is not a model');
  await assert.rejects(resolveBackbone(project, garbage), /garbage\.onnx/);
  await assert.rejects(resolveBackbone(project, join(work.dir, 'absent.onnx')), /does not exist/);
  await assert.rejects(resolveBackbone(project, 'no_such_registry_model'), /unknown backbone 'no_such_registry_model'.*mobilenet_v1_imagenet/);
  const names = listBackbones(project.db).map((b) => b.name);
  for (const bad of ['gray', 'map', 'ints', 'fixed', 'garbage']) assert.ok(!names.includes(bad), `${bad} must not be added`);
  // A fixed-size model takes its own size by default.
  const fixed = await resolveBackbone(project, join(work.dir, 'fixed.onnx'));
  assert.equal(fixed.inputSize, 64);
});

test('another file under a stored name is refused; --name adds it beside', async () => {
  const a = join(work.dir, 'same', 'twin.onnx');
  mkdirSync(join(work.dir, 'same'));
  writeMeanColourModel(a, { layout: 'NHWC' });
  await resolveBackbone(project, a, { size: 32 });
  const b = join(work.dir, 'twin.onnx');
  writeMeanColourModel(b);
  await assert.rejects(resolveBackbone(project, b, { size: 32 }), /already has a backbone named 'twin' with other weights.*--name/);
  const added = await resolveBackbone(project, b, { size: 32, name: 'twin-nchw' });
  assert.equal(added.name, 'twin-nchw');
});

test('the registry name and the shipped file resolve to the same weights, chosen at 128 px for small images', async () => {
  const b = await resolveBackbone(project, 'mobilenet_v1_imagenet');
  assert.equal(b.source, 'registry');
  assert.equal(b.inputSize, 128);
  assert.equal(b.outputDim, 1024);
  assert.equal(b.license, 'Apache-2.0');
  const f = await resolveBackbone(project, MOBILENET_V1);
  assert.equal(f.sha256, b.sha256);
});

test('checkModelShape reads layouts and refuses what cannot be fed', () => {
  const out = [{ name: 'f', type: 'float32', shape: ['n', 8] }];
  assert.equal(checkModelShape('m.onnx', [{ name: 'x', type: 'float32', shape: ['n', 3, 'h', 'w'] }], out, {}).layout, 'NCHW');
  assert.equal(checkModelShape('m.onnx', [{ name: 'x', type: 'float32', shape: ['n', 'h', 'w', 3] }], out, {}).layout, 'NHWC');
  const fixed = checkModelShape('m.onnx', [{ name: 'x', type: 'float32', shape: [1, 3, 96, 96] }], out, {});
  assert.deepEqual([fixed.fixedSize, fixed.fixedBatch, fixed.outputDim], [96, 1, 8]);
  assert.throws(() => checkModelShape('m.onnx', [{ name: 'x', type: 'float32', shape: [1, 3, 96, 64] }], out, {}), /only square inputs/);
  assert.throws(() => checkModelShape('m.onnx', [{ name: 'x', type: 'float32', shape: ['n', 3, 'h'] }], out, {}), /expected 4-D/);
  assert.throws(
    () =>
      checkModelShape(
        'm.onnx',
        [
          { name: 'a', type: 'float32', shape: ['n', 3, 'h', 'w'] },
          { name: 'b', type: 'float32', shape: ['n'] },
        ],
        out,
        {},
      ),
    /2 inputs/,
  );
  assert.throws(() => checkModelShape('m.onnx', [{ name: 'x', type: 'float32', shape: ['n', 3, 'h', 'w'] }], [...out, ...out], {}), /say which one/);
});

test('input size: --size wins, then a fixed size, then the small-image size for small images, else the native size', () => {
  const facts = { fixedSize: null, nativeInputSize: 224, smallImageInputSize: 128, sizeMultiple: 32 };
  assert.equal(chooseInputSize(facts, 32).size, 128);
  assert.equal(chooseInputSize(facts, 64).size, 128);
  assert.equal(chooseInputSize(facts, 65).size, 224);
  assert.equal(chooseInputSize(facts, null).size, 224);
  assert.equal(chooseInputSize(facts, 32, 256).size, 256);
  assert.throws(() => chooseInputSize(facts, 32, 250), /multiple of 32/);
  assert.equal(chooseInputSize({ ...facts, fixedSize: 96 }, 32).size, 96);
  assert.equal(chooseInputSize({ fixedSize: null, nativeInputSize: null, smallImageInputSize: null, sizeMultiple: 1 }, 500).size, 224);
});
