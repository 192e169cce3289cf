// Pieces of the pre-training that need no training run: RNG state, augmentations, settings, the
// checkpoint format, the folded inference network and the kNN check.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../../main/ml/tf-backend.ts';
import { Augmenter, resampleBilinear, hue } from '../../main/ml/moco/train-augment.ts';
import { randomResizedCropBox } from '../../main/base/random-crop.ts';
import { initTrainingBackend } from '../../main/ml/moco/backend.ts';
import { defaultBnSplits, defaultQueueSize, PretrainConfigError, resolvePretrainConfig } from '../../main/ml/moco/config.ts';
import { knnAccuracy } from '../../main/ml/moco/knn-eval.ts';
import { MocoTrainer } from '../../main/ml/moco/moco.ts';
import { bufferShapes, encoderForward, foldEncoder, foldedForward, disposeFolded, initTensors, parameterShapes } from '../../main/ml/moco/resnet.ts';
import { Rng } from '../../main/base/random.ts';
import { cosineLr } from '../../main/ml/moco/schedule.ts';

test('rng state restores the same sequence', () => {
  const a = new Rng(42);
  for (let i = 0; i < 10; i++) a.normal();
  const b = new Rng(a.state());
  assert.deepEqual(
    Array.from({ length: 20 }, () => a.next()),
    Array.from({ length: 20 }, () => b.next()),
  );
  const p = new Rng(1).permutation(50);
  assert.deepEqual(
    [...p].sort((x, y) => x - y),
    Array.from({ length: 50 }, (_, i) => i),
  );
});

test('settings: reference defaults, derived queue and BN splits, clear errors', () => {
  const c = resolvePretrainConfig({ epochs: 10 }, 2000, 32);
  assert.equal(c.encoder.arch, 'resnet18');
  assert.equal(c.encoder.width, 64);
  assert.equal(c.encoder.featureDim, 512);
  assert.equal(c.encoder.stem, 'small');
  assert.equal(c.imageSize, 32);
  assert.equal(c.batchSize, 128);
  assert.equal(c.temperature, 0.2);
  assert.equal(c.projDim, 128);
  assert.equal(c.queueSize % c.batchSize, 0);
  assert.equal(c.augment.blur.p, 0, 'no blur on CIFAR-sized images by default');
  assert.equal(resolvePretrainConfig({ epochs: 1, imageSize: 96 }, 500, 300).encoder.stem, 'large');
  assert.equal(resolvePretrainConfig({ epochs: 1 }, 500, 300).augment.blur.p, 0.5);
  const q = defaultQueueSize(50000, 128);
  assert.ok(q % 128 === 0 && q > 12500 - 128 && q <= 12500, `about a quarter of the images, as the reference's 12,800 for CIFAR: ${q}`);
  assert.equal(defaultBnSplits(64), 2);
  assert.equal(defaultBnSplits(256), 8);
  assert.equal(resolvePretrainConfig({ epochs: 1 }, 100, 32).batchSize, 64, 'default batch shrinks to the images at hand');
  assert.throws(() => resolvePretrainConfig({ epochs: 1, batchSize: 64 }, 50, 32), PretrainConfigError);
  assert.throws(() => resolvePretrainConfig({ epochs: 0 }, 50, 32), /epochs must be an integer/);
  assert.throws(() => resolvePretrainConfig({ epochs: 1, batchSize: 32, queueSize: 40 }, 500, 32), /multiple of the batch/);
  assert.throws(() => resolvePretrainConfig({ epochs: 1, arch: 'resnet99' as never }, 500, 32), /unknown architecture/);
  assert.equal(cosineLr(0.1, 0, 100), 0.1);
  assert.ok(Math.abs(cosineLr(0.1, 50, 100) - 0.05) < 1e-12);
  assert.ok(cosineLr(0.1, 100, 100) < 1e-12);
});

test('random resized crops stay inside the image and cover the configured area range', () => {
  const rng = new Rng(5);
  for (let i = 0; i < 500; i++) {
    const box = randomResizedCropBox(40, 30, [0.2, 1], [3 / 4, 4 / 3], rng);
    assert.ok(box.x >= 0 && box.y >= 0 && box.x + box.w <= 40 && box.y + box.h <= 30, JSON.stringify(box));
    const frac = (box.w * box.h) / (40 * 30);
    assert.ok(frac > 0.15 && frac <= 1.0001, `area fraction ${frac}`);
  }
});

test('augmentations: deterministic per seed, different per draw, plain view is the exact image', () => {
  const size = 16;
  const px = new Uint8Array(size * size * 3);
  for (let i = 0; i < px.length; i++) px[i] = (i * 37) % 256;
  const view = { data: px, offset: 0, width: size, height: size };
  const cfg = resolvePretrainConfig({ epochs: 1, blur: true }, 100, 16).augment;
  const aug = new Augmenter(size, cfg, [0.5, 0.5, 0.5], [0.25, 0.25, 0.25]);
  const a = new Float32Array(2 * size * size * 3);
  const b = new Float32Array(2 * size * size * 3);
  aug.augmentInto(view, a, 0, new Rng(9));
  aug.augmentInto(view, b, 0, new Rng(9));
  assert.deepEqual(a, b);
  const r = new Rng(9);
  aug.augmentInto(view, a, 0, r);
  aug.augmentInto(view, a, 1, r);
  const per = size * size * 3;
  assert.notDeepEqual(a.subarray(0, per), a.subarray(per));
  assert.ok(a.every(Number.isFinite));
  for (const v of a) assert.ok(v >= -2 - 1e-6 && v <= 2 + 1e-6, 'pixels in 0..1 normalise to [-2, 2]');
  aug.plainInto(view, a, 0);
  for (let i = 0; i < per; i++) assert.ok(Math.abs(a[i] - (px[i] / 255 - 0.5) / 0.25) < 1e-5);
  // A full-image crop with flip mirrors columns.
  const out = new Float32Array(per);
  resampleBilinear(view, { x: 0, y: 0, w: size, h: size }, true, size, out);
  assert.ok(Math.abs(out[0] - px[(size - 1) * 3] / 255) < 1e-6);
  // Hue by a full turn is the identity.
  const rgb = Float32Array.from([0.2, 0.5, 0.9, 0.7, 0.1, 0.3]);
  const turned = rgb.slice();
  hue(turned, 1);
  for (let i = 0; i < rgb.length; i++) assert.ok(Math.abs(rgb[i] - turned[i]) < 1e-6);
});

test('folded inference network equals the batch-norm network with running statistics', async () => {
  await initTrainingBackend('wasm');
  for (const stem of ['small', 'large'] as const) {
    const spec = { arch: 'resnet10' as const, width: 4, stem, featureDim: 32 };
    const rng = new Rng(8);
    const params = initTensors(parameterShapes(spec), rng);
    const buffers = initTensors(bufferShapes(spec), rng);
    // Non-trivial statistics and affine parameters.
    for (const [name, t] of [...buffers, ...params]) {
      if (name.endsWith('.mean') || name.endsWith('.beta'))
        buffers.has(name) ? buffers.set(name, tf.randomNormal(t.shape, 0, 0.3, 'float32', 1)) : params.set(name, tf.randomNormal(t.shape, 0, 0.3, 'float32', 2));
      if (name.endsWith('.var') || name.endsWith('.gamma'))
        buffers.has(name) ? buffers.set(name, tf.randomUniform(t.shape, 0.5, 2, 'float32', 3)) : params.set(name, tf.randomUniform(t.shape, 0.5, 2, 'float32', 4));
    }
    const x = tf.randomNormal([3, 24, 24, 3], 0, 1, 'float32', 5) as tf.Tensor4D;
    const ref = encoderForward(spec, { params, buffers, bn: { kind: 'running' } }, x);
    const folded = foldEncoder(spec, params, buffers);
    const got = foldedForward(folded, x);
    const r = ref.dataSync();
    const g = got.dataSync();
    for (let i = 0; i < r.length; i++) assert.ok(Math.abs(r[i] - g[i]) < 1e-3 * (1 + Math.abs(r[i])), `${stem} feature ${i}: ${r[i]} vs ${g[i]}`);
    disposeFolded(folded);
  }
});

test('trainer state survives export and restore bit for bit', async () => {
  await initTrainingBackend('wasm');
  const config = resolvePretrainConfig({ epochs: 1, width: 4, batchSize: 8, arch: 'resnet10' }, 64, 16);
  const rng = new Rng(2);
  const a = MocoTrainer.create(config, rng);
  const n = 8 * 16 * 16 * 3;
  const xq = Float32Array.from({ length: n }, () => rng.normal());
  const xk = Float32Array.from({ length: n }, () => rng.normal());
  const un = rng.permutation(8);
  a.step(xq, xk, un, 0.05);
  const b = await MocoTrainer.restore(config, await a.exportState());
  const la = a.step(xq, xk, un, 0.05);
  const lb = b.step(xq, xk, un, 0.05);
  assert.equal(la, lb);
  assert.deepEqual(
    (await a.exportState()).arrays.map((x) => Array.from(x.data.subarray(0, 16))),
    (await b.exportState()).arrays.map((x) => Array.from(x.data.subarray(0, 16))),
  );
  a.dispose();
  b.dispose();
});

test('kNN accuracy: perfect on separated clusters, chance-like on noise', () => {
  const rng = new Rng(4);
  const n = 200;
  const dim = 8;
  const labels = Array.from({ length: n }, (_, i) => i % 4);
  const clustered = new Float32Array(n * dim);
  const noise = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < dim; j++) {
      clustered[i * dim + j] = (j === labels[i] ? 5 : 0) + rng.normal() * 0.3;
      noise[i * dim + j] = rng.normal();
    }
  }
  const norm = (m: Float32Array) => {
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < dim; j++) s += m[i * dim + j] ** 2;
      for (let j = 0; j < dim; j++) m[i * dim + j] /= Math.sqrt(s);
    }
  };
  norm(clustered);
  norm(noise);
  assert.equal(knnAccuracy(clustered, n, dim, labels, 20).majority, 1);
  assert.ok(knnAccuracy(noise, n, dim, labels, 20).majority < 0.45);
});
