// MoCo v2 pre-training on a CIFAR-10 subset, on the CPU: 20-NN accuracy of the trained encoder's
// features against the same network at its random initialisation, the time taken and images/s.
// Usage: npm run bench:pretrain -- [--images 2000] [--epochs 10] [--width 8] [--batch 64] [--lr 0.06] [--arch resnet18]
//        [--image-size 32] [--key-momentum X] [--queue N] [--seed N] [--k 20] [--backend auto|wasm|cpu|...]
//        npm run bench:pretrain -- --kernels   (only the cost of each convolution path: cpu, stock wasm, patched wasm)
// Images: the first images/10 of each class of the CIFAR-10 test set beside the checkout. Last line: one JSON object.
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openProject, type Project } from '../main/project/project.ts';
import { createProgressPrinter } from '../main/cli/progress-printer.ts';
import { getBackboneByName, type BackboneRecord } from '../main/db/backbones-repo.ts';
import { createExtractor, l2NormaliseRows, type FeatureExtractor } from '../main/pipeline/embed/backbone-extractor.ts';
import { decodeResized, writeNormalised } from '../main/pipeline/embed/preprocess.ts';
import { importFolder, imageAbsolutePath } from '../main/pipeline/import/import-job.ts';
import { type ResNetArch } from '../main/ml/moco/config.ts';
import { calibrateBatchNorm } from '../main/ml/moco/bn-calibration.ts';
import { createEncoderExtractor } from '../main/ml/moco/encoder-extractor.ts';
import { knnAccuracy, type KnnAccuracy } from '../main/ml/moco/knn-eval.ts';
import { MocoTrainer } from '../main/ml/moco/moco.ts';
import { pretrainProject } from '../main/pipeline/pretrain/pretrain-job.ts';
import { Rng } from '../main/base/random.ts';
import { getPretrainRun, readLossCurve } from '../main/pipeline/pretrain/pretrain-records.ts';
import { initTfBackend, tf, type TfBackendName } from '../main/ml/tf-backend.ts';
import { registerWasmTrainingKernels } from '../main/ml/tf-kernels/index.ts';
import { CIFAR_FULL_DIR as CIFAR_DIR } from '../test/helpers/shared-data.ts';
import { MOCO_BENCH_BATCH, mocoBenchStep } from './moco-bench-step.ts';

const { values } = parseArgs({
  options: {
    images: { type: 'string', default: '2000' },
    epochs: { type: 'string', default: '10' },
    width: { type: 'string', default: '8' },
    batch: { type: 'string', default: '64' },
    arch: { type: 'string', default: 'resnet18' },
    'image-size': { type: 'string', default: '32' },
    // The reference rule (0.03 x batch / 256) suits 1000-epoch runs; a 10-epoch CPU run learns faster at 0.06.
    lr: { type: 'string', default: '0.06' },
    'key-momentum': { type: 'string' },
    queue: { type: 'string' },
    seed: { type: 'string', default: '0' },
    k: { type: 'string', default: '20' },
    backend: { type: 'string', default: 'auto' },
    keep: { type: 'boolean' },
    kernels: { type: 'boolean' },
  },
});
if (values.kernels) {
  await benchKernels();
  process.exit(0);
}
const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
const total = Number(values.images);
const k = Number(values.k);

function buildSubset(perClass: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'spice-bench-pretrain-img-'));
  for (const cls of readdirSync(CIFAR_DIR).sort()) {
    mkdirSync(join(dir, cls));
    for (const f of readdirSync(join(CIFAR_DIR, cls)).sort().slice(0, perClass)) copyFileSync(join(CIFAR_DIR, cls, f), join(dir, cls, f));
  }
  return dir;
}

/** Plain (unaugmented) views, normalised as the backbone's record says, in batches of 256. */
async function* plainBatches(project: Project, backbone: BackboneRecord, rows: Array<{ rel_path: string }>, layout: 'NCHW' | 'NHWC') {
  const size = backbone.inputSize;
  const spec = { size, mean: backbone.mean, std: backbone.std, channelOrder: backbone.channelOrder, layout };
  for (let start = 0; start < rows.length; start += 256) {
    const chunk = rows.slice(start, start + 256);
    const data = new Float32Array(chunk.length * 3 * size * size);
    for (let i = 0; i < chunk.length; i++) writeNormalised(await decodeResized(imageAbsolutePath(project, chunk[i].rel_path), size), spec, data, i);
    yield { data, n: chunk.length, size };
  }
}

async function features(project: Project, backbone: BackboneRecord, extractor: FeatureExtractor, rows: Array<{ rel_path: string }>): Promise<Float32Array> {
  const out = new Float32Array(rows.length * extractor.dim);
  let at = 0;
  for await (const b of plainBatches(project, backbone, rows, 'NCHW')) {
    out.set(await extractor.run(b.data, b.n), at * extractor.dim);
    at += b.n;
  }
  return l2NormaliseRows(out, rows.length, extractor.dim);
}

const imageDir = buildSubset(Math.ceil(total / 10));
const projectDir = mkdtempSync(join(tmpdir(), 'spice-bench-pretrain-'));
const project = openProject(projectDir);
try {
  await importFolder(project, imageDir, { labelsFromFolders: true });
  const printer = createProgressPrinter();
  project.jobs.onEvent((e) => {
    if (e.type !== 'progress' || e.progress.kind === 'pretrain') printer(e);
  });
  const rows = project.db.prepare('SELECT id, rel_path, label FROM images ORDER BY id').all() as Array<{ id: number; rel_path: string; label: string }>;
  const classNames = [...new Set(rows.map((r) => r.label))].sort();
  const labels = rows.map((r) => classNames.indexOf(r.label));
  const name = 'bench';
  const t0 = performance.now();
  const summary = await pretrainProject(project, {
    name,
    epochs: Number(values.epochs),
    width: Number(values.width),
    batchSize: Number(values.batch),
    arch: values.arch as ResNetArch,
    imageSize: Number(values['image-size']),
    lr: num(values.lr),
    keyMomentum: num(values['key-momentum']),
    queueSize: num(values.queue),
    seed: Number(values.seed),
    backend: values.backend as TfBackendName | 'auto',
  });
  const seconds = (performance.now() - t0) / 1000;
  const run = getPretrainRun(project.db, name)!;
  const backbone = getBackboneByName(project.db, summary.backbone)!;

  const trained = await createExtractor(project, backbone);
  const trainedFeatures = await features(project, backbone, trained, rows);
  await trained.close();
  // The identical network before its first step (same config, seed and initialisation), with its
  // batch-norm statistics estimated on these images: stored ones (0 and 1) would handicap it.
  const init = MocoTrainer.create(run.config, new Rng(run.config.seed));
  const initArrays = await init.exportEncoder();
  init.dispose();
  const calibrated = await calibrateBatchNorm(run.config.encoder, initArrays, plainBatches(project, backbone, rows, 'NHWC'));
  const randomExtractor = await createEncoderExtractor(run.config.encoder, calibrated, run.config.imageSize);
  const randomFeatures = await features(project, backbone, randomExtractor, rows);
  await randomExtractor.close();
  const rawExtractor = await createEncoderExtractor(run.config.encoder, initArrays, run.config.imageSize);
  const rawFeatures = await features(project, backbone, rawExtractor, rows);
  await rawExtractor.close();

  const dim = backbone.outputDim;
  const accRandom: KnnAccuracy = knnAccuracy(randomFeatures, rows.length, dim, labels, k);
  const accTrained: KnnAccuracy = knnAccuracy(trainedFeatures, rows.length, dim, labels, k);
  const accRaw: KnnAccuracy = knnAccuracy(rawFeatures, rows.length, dim, labels, k);
  const curve = readLossCurve(project.db, name)!;
  const c = run.config;
  console.log(
    `MoCo v2 ${c.encoder.arch} width ${c.encoder.width}, ${rows.length} CIFAR-10 images at ${c.imageSize} px, ${c.epochs} epochs x ${curve.stepsPerEpoch} steps of ${c.batchSize} on ${summary.backend}`,
  );
  console.log(`per-epoch loss: ${curve.perEpoch.map((e) => e.meanLoss.toFixed(3)).join(' ')}`);
  console.log(`training ${summary.seconds.toFixed(1)} s, ${summary.imagesPerSecond.toFixed(1)} images/s (total with import/decode ${seconds.toFixed(1)} s)`);
  console.log(
    `${k}-NN accuracy (leave-one-out, majority): random init ${(100 * accRandom.majority).toFixed(1)}%, trained ${(100 * accTrained.majority).toFixed(1)}% (${(100 * (accTrained.majority - accRandom.majority)).toFixed(1)} points)`,
  );
  console.log(`(random init with its stored, uncalibrated batch-norm statistics: ${(100 * accRaw.majority).toFixed(1)}%)`);
  console.log(`${k}-NN accuracy (weighted): random init ${(100 * accRandom.weighted).toFixed(1)}%, trained ${(100 * accTrained.weighted).toFixed(1)}%`);
  console.log(
    JSON.stringify({
      images: rows.length,
      arch: c.encoder.arch,
      width: c.encoder.width,
      imageSize: c.imageSize,
      epochs: c.epochs,
      batch: c.batchSize,
      lr: c.lr,
      keyMomentum: c.keyMomentum,
      queue: c.queueSize,
      backend: summary.backend,
      trainSeconds: +summary.seconds.toFixed(1),
      imagesPerSecond: +summary.imagesPerSecond.toFixed(1),
      lossFirstEpoch: +curve.perEpoch[0].meanLoss.toFixed(4),
      lossLastEpoch: +curve.perEpoch[curve.perEpoch.length - 1].meanLoss.toFixed(4),
      knnK: k,
      knnRandom: +accRandom.majority.toFixed(4),
      knnTrained: +accTrained.majority.toFixed(4),
      knnGainPoints: +(100 * (accTrained.majority - accRandom.majority)).toFixed(1),
      knnRandomWeighted: +accRandom.weighted.toFixed(4),
      knnTrainedWeighted: +accTrained.weighted.toFixed(4),
      knnRandomUncalibrated: +accRaw.majority.toFixed(4),
    }),
  );
} finally {
  project.close();
  if (!values.keep) {
    rmSync(projectDir, { recursive: true, force: true });
    rmSync(imageDir, { recursive: true, force: true });
  } else console.log(`kept ${projectDir} and ${imageDir}`);
}

/**
 * Milliseconds per call of the forward convolution and both gradients on one ResNet layer shape
 * (batch 64, 32x32x16, 3x3), on the plain JS backend, on wasm as shipped (no filter gradient at all, a
 * scalar-loop input gradient) and on wasm with the kernels this project registers.
 */
async function benchKernels(): Promise<void> {
  const shape: [number, number, number, number] = [64, 32, 32, 16];
  const filter: [number, number, number, number] = [3, 3, 16, 16];
  const flops = 2 * 64 * 32 * 32 * 9 * 16 * 16;
  const pad = [
    [0, 0],
    [1, 1],
    [1, 1],
    [0, 0],
  ] as [[number, number], [number, number], [number, number], [number, number]];
  const attrs = { strides: [1, 1], pad, dataFormat: 'NHWC', dimRoundingMode: undefined };
  const time = async (f: () => tf.Tensor, reps: number) => {
    if (reps > 1) f().dispose();
    let best = Infinity;
    for (let i = 0; i < reps; i++) {
      const t = performance.now();
      const r = f();
      await r.data();
      best = Math.min(best, performance.now() - t);
      r.dispose();
    }
    return best;
  };
  const measure = async (label: string, reps: number) => {
    const x = tf.randomNormal(shape, 0, 1, 'float32', 1) as tf.Tensor4D;
    const dy = tf.randomNormal(shape, 0, 1, 'float32', 2) as tf.Tensor4D;
    const w = tf.randomNormal(filter, 0, 1, 'float32', 3) as tf.Tensor4D;
    const row: Record<string, number | null> = {};
    row.conv2d = await time(() => tf.conv2d(x, w, 1, pad), reps);
    row.backpropInput = await time(() => tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: w }, { ...attrs, inputShape: shape } as never) as tf.Tensor, reps);
    try {
      row.backpropFilter = await time(() => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { ...attrs, filterShape: filter } as never) as tf.Tensor, reps);
    } catch {
      row.backpropFilter = null;
    }
    tf.dispose([x, dy, w]);
    const fmt = (v: number | null) => (v === null ? 'missing'.padStart(18) : `${v.toFixed(1)} ms ${(flops / v / 1e6).toFixed(2)} GF/s`.padStart(18));
    console.log(`${label.padEnd(14)} conv2d ${fmt(row.conv2d)}  input-grad ${fmt(row.backpropInput)}  filter-grad ${fmt(row.backpropFilter)}`);
    return row;
  };
  // One whole MoCo step (ResNet-18 width 8, batch 32, 32 px) per backend, in images per second.
  const stepRate = async (label: string) => {
    const moco = mocoBenchStep();
    try {
      moco.step();
      const t = performance.now();
      moco.step();
      const rate = MOCO_BENCH_BATCH / ((performance.now() - t) / 1000);
      console.log(`${label.padEnd(14)} training step ${rate.toFixed(1)} images/s`);
      return rate;
    } catch (err) {
      console.log(`${label.padEnd(14)} training step fails: ${(err as Error).message.split('\n')[0]}`);
      return null;
    } finally {
      moco.dispose();
    }
  };
  await initTfBackend('cpu');
  const cpu = { ...(await measure('cpu', 1)), stepImagesPerSecond: await stepRate('cpu') };
  await initTfBackend('wasm');
  const stock = { ...(await measure('wasm (stock)', 5)), stepImagesPerSecond: await stepRate('wasm (stock)') };
  const patches = registerWasmTrainingKernels();
  const patched = { ...(await measure('wasm (patched)', 5)), stepImagesPerSecond: await stepRate('wasm (patched)') };
  console.log(`patches: ${patches.map((p) => `${p.kernel} ${p.action}`).join(', ')}`);
  console.log(
    JSON.stringify({
      layer: { batch: 64, size: 32, channels: 16, kernel: 3 },
      step: { arch: 'resnet18', width: 8, batch: 32, size: 32 },
      cpu,
      wasmStock: stock,
      wasmPatched: patched,
    }),
  );
}
