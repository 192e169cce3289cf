// GPU check of the MoCo v2 pre-training: trains a few epochs on the 10,000 CIFAR-10 test images with
// TensorFlow.js on CUDA (@tensorflow/tfjs-node-gpu) and prints images per second and the loss curve.
// Not part of `npm test`. Needs a CUDA machine with @tensorflow/tfjs-node-gpu installed
// (ELECTRON_SKIP_BINARY_DOWNLOAD=1 npm i --no-save @tensorflow/tfjs-node-gpu@4.22.0).
// Usage: npm run gpu:pretrain -- [--epochs 3] [--width 64] [--batch 256] [--arch resnet18] [--images 10000]
//        [--backend tensorflow-gpu]   (another backend only to dry-run the script itself)
// The last line is one JSON object.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openProject } from '../main/project/project.ts';
import { createProgressPrinter } from '../main/cli/progress-printer.ts';
import { initTrainingBackend } from '../main/ml/moco/backend.ts';
import type { ResNetArch } from '../main/ml/moco/config.ts';
import { pretrainProject } from '../main/pipeline/pretrain/pretrain-job.ts';
import { readLossCurve } from '../main/pipeline/pretrain/pretrain-records.ts';
import type { TfBackendName } from '../main/ml/tf-backend.ts';
import { importFolder } from '../main/pipeline/import/import-job.ts';
import { CIFAR_FULL_DIR as CIFAR_DIR } from '../test/helpers/shared-data.ts';

const { values } = parseArgs({
  options: {
    epochs: { type: 'string', default: '3' },
    width: { type: 'string', default: '64' },
    batch: { type: 'string', default: '256' },
    arch: { type: 'string', default: 'resnet18' },
    images: { type: 'string', default: '10000' },
    backend: { type: 'string', default: 'tensorflow-gpu' },
  },
});

const dir = mkdtempSync(join(tmpdir(), 'spice-gpu-pretrain-'));
const project = openProject(dir);
let code = 0;
try {
  // Fail before the import when the backend is missing.
  const backend = await initTrainingBackend(values.backend as TfBackendName);
  console.log(`backend ${backend.summary}`);
  const t0 = performance.now();
  await importFolder(project, CIFAR_DIR, { labelsFromFolders: true });
  const limit = Number(values.images);
  const total = (project.db.prepare('SELECT COUNT(*) AS n FROM images').get() as { n: number }).n;
  if (limit < total) {
    // Keep an even spread of classes: drop every image past `limit` in id order after interleaving.
    project.db.prepare('DELETE FROM images WHERE id NOT IN (SELECT id FROM images ORDER BY (id % 1000), id LIMIT ?)').run(limit);
  }
  console.log(`imported ${total} CIFAR-10 test images in ${((performance.now() - t0) / 1000).toFixed(1)} s; training on ${Math.min(limit, total)}`);
  project.jobs.onEvent(createProgressPrinter());
  const summary = await pretrainProject(project, {
    name: 'gpu-check',
    epochs: Number(values.epochs),
    width: Number(values.width),
    batchSize: Number(values.batch),
    arch: values.arch as ResNetArch,
    backend: values.backend as TfBackendName,
  });
  const curve = readLossCurve(project.db, 'gpu-check')!;
  console.log(`backend ${summary.backend}: ${summary.steps} steps in ${summary.seconds.toFixed(1)} s, ${summary.imagesPerSecond.toFixed(1)} images/s`);
  console.log('epoch  mean loss');
  for (const e of curve.perEpoch) console.log(`${String(e.epoch + 1).padStart(5)}  ${e.meanLoss.toFixed(4)}`);
  console.log(
    JSON.stringify({
      backend: summary.backend,
      images: summary.images,
      epochs: summary.epochs,
      batch: Number(values.batch),
      width: Number(values.width),
      arch: values.arch,
      seconds: +summary.seconds.toFixed(1),
      imagesPerSecond: +summary.imagesPerSecond.toFixed(1),
      lossPerEpoch: curve.perEpoch.map((e) => +e.meanLoss.toFixed(4)),
    }),
  );
} catch (err) {
  console.error(`gpu check failed: ${(err as Error).message}`);
  if (/tensorflow-gpu/.test((err as Error).message))
    console.error('install the CUDA backend first: ELECTRON_SKIP_BINARY_DOWNLOAD=1 npm i --no-save @tensorflow/tfjs-node-gpu@4.22.0');
  code = 1;
} finally {
  project.close();
  rmSync(dir, { recursive: true, force: true });
}
process.exitCode = code;
