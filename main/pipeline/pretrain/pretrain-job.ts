// The 'pretrain' job: MoCo v2 on the project's own images, checkpointed every epoch so that a rerun
// after a kill or a cancel continues where the last epoch ended, and finished as backbone
// 'project:<name>'.
import type { Project } from '../../project/project.ts';
import type { Db } from '../../db/connection.ts';
import type { JobContext } from '../../jobs/runner.ts';
import { medianImageSide } from '../../models/input-size.ts';
import type { TfBackendName } from '../../ml/tf-backend.ts';
import { Augmenter } from '../../ml/moco/train-augment.ts';
import { initTrainingBackend } from '../../ml/moco/backend.ts';
import { PretrainConfigError, resolvePretrainConfig, stepsPerEpoch, type PretrainConfig, type PretrainOptions } from '../../ml/moco/config.ts';
import { channelStats, countProjectImages, imageView, loadTrainingImages, type TrainingImages } from './dataset.ts';
import { MocoTrainer } from '../../ml/moco/moco.ts';
import { Rng } from '../../base/random.ts';
import { cosineLr } from '../../ml/moco/schedule.ts';
import {
  createPretrainRun,
  deleteLossesFrom,
  deletePretrainRun,
  finishRun,
  getPretrainRun,
  loadCheckpoint,
  attachJob,
  projectBackboneName,
  readLossCurve,
  recordLoss,
  saveCheckpoint,
  type PretrainRunRecord,
} from './pretrain-records.ts';

export interface PretrainJobOptions extends PretrainOptions {
  /** Run and backbone name (the backbone is 'project:<name>'). Default from the architecture and width. */
  name?: string;
  /** Discard an unfinished run of this name with other settings and start over. */
  restart?: boolean;
  backend?: TfBackendName | 'auto';
  signal?: AbortSignal;
}

export interface PretrainSummary {
  name: string;
  backbone: string;
  backboneId: number;
  backend: string;
  epochs: number;
  steps: number;
  images: number;
  /** Epoch the run continued from; null when it started fresh or was already finished. */
  resumedFromEpoch: number | null;
  alreadyDone: boolean;
  /** Training time of this call, and summed over all calls of the run. */
  seconds: number;
  totalSeconds: number;
  imagesPerSecond: number;
  firstEpochLoss: number | null;
  lastEpochLoss: number | null;
}

export function defaultRunName(o: PretrainOptions): string {
  return `moco-${o.arch ?? 'resnet18'}-w${o.width ?? 64}`;
}

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export async function pretrainProject(project: Project, options: PretrainJobOptions): Promise<PretrainSummary> {
  const name = options.name ?? defaultRunName(options);
  if (!NAME_RE.test(name)) throw new PretrainConfigError(`name '${name}' must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit`);
  const { signal, backend, restart, ...rest } = options;
  const params = { name, ...rest };
  return project.jobs.run('pretrain', params, (ctx) => runPretrain(ctx, project, name, options), signal);
}

/** Settings that must match for a rerun to continue a run (the normalisation comes from the stored run). */
function sameSettings(a: PretrainConfig, b: PretrainConfig): boolean {
  const strip = (c: PretrainConfig) => JSON.stringify({ ...c, normalization: null });
  return strip(a) === strip(b);
}

function describeDifference(stored: PretrainConfig, wanted: PretrainConfig): string {
  const flat = (c: PretrainConfig) => ({
    arch: c.encoder.arch,
    width: c.encoder.width,
    imageSize: c.imageSize,
    batch: c.batchSize,
    epochs: c.epochs,
    lr: c.lr,
    queue: c.queueSize,
    seed: c.seed,
  });
  const s = flat(stored) as Record<string, unknown>;
  const w = flat(wanted) as Record<string, unknown>;
  const diffs = Object.keys(s)
    .filter((k) => s[k] !== w[k])
    .map((k) => `${k} ${String(s[k])} -> ${String(w[k])}`);
  return diffs.length ? diffs.join(', ') : 'augmentation or optimizer settings';
}

async function runPretrain(ctx: JobContext, project: Project, name: string, options: PretrainJobOptions): Promise<PretrainSummary> {
  const db = project.db;
  const backend = await initTrainingBackend(options.backend);
  ctx.log(`TensorFlow.js backend ${backend.summary}`);
  if (backend.warning) ctx.log(backend.warning, 'warn');

  let run = getPretrainRun(db, name);
  const imageCountNow = countProjectImages(project);
  const median = medianImageSide(db);
  if (run) {
    const wanted = resolvePretrainConfig(options, run.imageCount, median, run.config.normalization);
    if (!sameSettings(run.config, wanted)) {
      const what = describeDifference(run.config, wanted);
      if (run.state === 'done' || !options.restart) {
        throw new PretrainConfigError(
          `a pre-training named '${name}' already exists with other settings (${what}); choose another --name` +
            (run.state === 'training' ? ', or pass --restart to discard the unfinished one' : ''),
        );
      }
      ctx.log(`discarding unfinished pre-training '${name}' (${run.epochsDone}/${run.config.epochs} epochs) to start over: ${what}`, 'warn');
      deletePretrainRun(db, run.id);
      run = undefined;
    } else if (run.state === 'done') {
      ctx.log(`pre-training '${name}' already finished (${run.config.epochs} epochs); backbone ${projectBackboneName(name)} is ready`);
      return summaryOf(db, run, backend.info.name, null, true, 0, 0, 0);
    }
  }

  ctx.stage('decoding images', imageCountNow, 'images');
  const size = run ? run.config.imageSize : resolvePretrainConfig(options, imageCountNow, median).imageSize;
  const images = await loadTrainingImages(project, size, { signal: ctx.signal, onProgress: (d) => ctx.progress(d) });
  ctx.throwIfCancelled();
  if (images.skipped.length) {
    const first = images.skipped
      .slice(0, 3)
      .map((s) => `${s.path}: ${s.reason}`)
      .join('; ');
    ctx.log(`${images.skipped.length} image(s) could not be read and are left out (${first}${images.skipped.length > 3 ? '; ...' : ''})`, 'warn');
  }
  const n = images.ids.length;

  let config: PretrainConfig;
  if (run) {
    config = run.config;
    if (n !== run.imageCount) ctx.log(`the project now has ${n} readable images, the run started with ${run.imageCount}; continuing on the current images`, 'warn');
    if (config.batchSize > n) throw new PretrainConfigError(`batch size ${config.batchSize} is larger than the ${n} readable images`);
    attachJob(db, run.id, ctx.jobId, backend.info.name);
  } else {
    config = resolvePretrainConfig(options, n, median, channelStats(images));
    run = createPretrainRun(db, name, config, n, ctx.jobId);
    attachJob(db, run.id, ctx.jobId, backend.info.name);
  }
  return train(ctx, project, run, config, images, backend.info.name);
}

async function train(
  ctx: JobContext,
  project: Project,
  run: PretrainRunRecord,
  config: PretrainConfig,
  images: TrainingImages,
  backendName: string,
): Promise<PretrainSummary> {
  const db = project.db;
  const n = images.ids.length;
  const b = config.batchSize;
  const spe = stepsPerEpoch(n, b);
  const totalSteps = spe * config.epochs;

  const checkpoint = loadCheckpoint(db, run.id);
  let rng: Rng;
  let trainer: MocoTrainer;
  let epoch = 0;
  let step = 0;
  if (checkpoint) {
    rng = new Rng(checkpoint.rng);
    trainer = await MocoTrainer.restore(config, checkpoint.trainer);
    epoch = checkpoint.epoch;
    step = checkpoint.step;
    ctx.log(`resuming '${run.name}' from its checkpoint after epoch ${epoch}/${config.epochs} (step ${step})`);
  } else {
    rng = new Rng(config.seed);
    trainer = MocoTrainer.create(config, rng);
  }
  deleteLossesFrom(db, run.id, step);
  const resumedFromEpoch = checkpoint ? epoch : null;
  const e = config.encoder;
  ctx.log(
    `MoCo v2: ${e.arch} width ${e.width} (${e.featureDim}-d features, ${e.stem} stem), ${n} images at ${config.imageSize} px, ` +
      `batch ${b} (${config.bnSplits} BN splits), ${config.epochs} epochs x ${spe} steps, lr ${config.lr.toPrecision(3)} cosine, ` +
      `queue ${config.queueSize}, T ${config.temperature}, key momentum ${config.keyMomentum}`,
  );

  const augmenter = new Augmenter(config.imageSize, config.augment, config.normalization.mean, config.normalization.std);
  const per = config.imageSize * config.imageSize * 3;
  const xq = new Float32Array(b * per);
  const xk = new Float32Array(b * per);
  const unshuffle = new Int32Array(b);
  const startStep = step;
  const sessionStart = performance.now();
  let epochStart = performance.now();
  ctx.stage('training', totalSteps - startStep, 'steps');
  try {
    for (; epoch < config.epochs; epoch++) {
      const order = rng.permutation(n);
      let epochLoss = 0;
      for (let s = 0; s < spe; s++) {
        ctx.throwIfCancelled();
        for (let i = 0; i < b; i++) augmenter.augmentInto(imageView(images, order[s * b + i]), xq, i, rng);
        // Keys go through the key encoder in another order, so its batch-norm groups differ (shuffle-BN).
        const shuffle = rng.permutation(b);
        for (let j = 0; j < b; j++) {
          augmenter.augmentInto(imageView(images, order[s * b + shuffle[j]]), xk, j, rng);
          unshuffle[shuffle[j]] = j;
        }
        const lr = cosineLr(config.lr, step, totalSteps);
        const loss = trainer.step(xq, xk, unshuffle, lr);
        recordLoss(db, run.id, { step, epoch, loss, lr });
        epochLoss += loss;
        step++;
        const elapsed = (performance.now() - sessionStart) / 1000;
        const ips = ((step - startStep) * b) / Math.max(elapsed, 1e-9);
        ctx.progress(
          step - startStep,
          `epoch ${epoch + 1}/${config.epochs} step ${s + 1}/${spe} loss ${loss.toFixed(4)} lr ${lr.toPrecision(3)} ${ips.toFixed(1)} img/s on ${backendName}`,
        );
        // Let timers, signals and progress events through between the synchronous steps.
        await new Promise((r) => setImmediate(r));
      }
      const seconds = (performance.now() - epochStart) / 1000;
      epochStart = performance.now();
      saveCheckpoint(db, run.id, { epoch: epoch + 1, step, trainer: await trainer.exportState(), rng: rng.state() }, seconds);
      ctx.log(
        `epoch ${epoch + 1}/${config.epochs}: mean loss ${(epochLoss / spe).toFixed(4)}, ${seconds.toFixed(1)} s, ${((spe * b) / seconds).toFixed(1)} img/s; checkpoint saved`,
      );
    }
    const encoder = await trainer.exportEncoder();
    const backboneId = finishRun(db, getPretrainRun(db, run.name)!, { spec: config.encoder, arrays: encoder }, 0);
    const finished = getPretrainRun(db, run.name)!;
    const seconds = (performance.now() - sessionStart) / 1000;
    ctx.log(`backbone ${projectBackboneName(run.name)} is ready: ${config.encoder.featureDim}-d features at ${config.imageSize} px (id ${backboneId})`);
    return summaryOf(db, finished, backendName, resumedFromEpoch, false, seconds, step - startStep, b);
  } finally {
    trainer.dispose();
  }
}

function summaryOf(
  db: Db,
  run: PretrainRunRecord,
  backend: string,
  resumedFromEpoch: number | null,
  alreadyDone: boolean,
  seconds: number,
  steps: number,
  batch: number,
): PretrainSummary {
  const perEpoch = readLossCurve(db, run.name)?.perEpoch ?? [];
  return {
    name: run.name,
    backbone: projectBackboneName(run.name),
    backboneId: run.backboneId ?? -1,
    backend,
    epochs: run.config.epochs,
    steps,
    images: run.imageCount,
    resumedFromEpoch,
    alreadyDone,
    seconds,
    totalSeconds: run.seconds,
    imagesPerSecond: seconds > 0 ? (steps * batch) / seconds : 0,
    firstEpochLoss: perEpoch.length ? perEpoch[0].meanLoss : null,
    lastEpochLoss: perEpoch.length ? perEpoch[perEpoch.length - 1].meanLoss : null,
  };
}
