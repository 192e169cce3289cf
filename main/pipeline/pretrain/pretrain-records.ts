// Pre-training runs in the project database: checkpoints, the loss curve, and the finished encoder
// (read back for embedding by main/models/project-backbone.ts).
import type { Db } from '../../db/connection.ts';
import type { EncoderSpec, PretrainConfig } from '../../ml/moco/config.ts';
import type { NamedArray, TrainerState } from '../../ml/moco/moco.ts';
import { packArrays, unpackArrays } from '../../ml/moco/packed-arrays.ts';
import type { RngState } from '../../base/random.ts';
import { replaceBackbone } from '../../db/backbones-repo.ts';
import {
  advancePretrainRun,
  deleteCheckpoint,
  deleteLossesFrom,
  deleteUnfinishedPretrainRun,
  getCheckpointRow,
  getPretrainRunRow,
  insertPretrainRun,
  listPretrainRunRows,
  lossPerEpoch,
  lossRows,
  markPretrainDone,
  setPretrainJob,
  upsertCheckpoint,
  upsertEncoder,
  upsertLoss,
  type PretrainRunRow,
  type PretrainState,
} from '../../db/pretrain-repo.ts';

export type { PretrainState };

/** A pre-training run: its stored row with the configuration parsed. */
export type PretrainRunRecord = Omit<PretrainRunRow, 'config'> & { config: PretrainConfig };

export interface Checkpoint {
  epoch: number;
  step: number;
  trainer: TrainerState;
  rng: RngState;
}

export interface LossPoint {
  step: number;
  epoch: number;
  loss: number;
  lr: number;
}

export interface LossCurve {
  name: string;
  state: PretrainState;
  epochs: number;
  stepsPerEpoch: number;
  /** Every optimizer step so far. */
  steps: LossPoint[];
  /** Mean loss of each epoch with at least one step. */
  perEpoch: Array<{ epoch: number; meanLoss: number; steps: number }>;
}

/** A run as stored, its config parsed. */
function toRecord(r: PretrainRunRow): PretrainRunRecord {
  return { ...r, config: JSON.parse(r.config) as PretrainConfig };
}

export function getPretrainRun(db: Db, name: string): PretrainRunRecord | undefined {
  const row = getPretrainRunRow(db, name);
  return row ? toRecord(row) : undefined;
}

export function listPretrainRuns(db: Db): PretrainRunRecord[] {
  return listPretrainRunRows(db).map(toRecord);
}

export function createPretrainRun(db: Db, name: string, config: PretrainConfig, imageCount: number, jobId: number | null): PretrainRunRecord {
  insertPretrainRun(db, name, JSON.stringify(config), imageCount, jobId, Date.now());
  return getPretrainRun(db, name)!;
}

/** Deletes a run that never finished, with its checkpoint and losses (to start it over). */
export function deletePretrainRun(db: Db, runId: number): void {
  deleteUnfinishedPretrainRun(db, runId);
}

/** Records which job and backend train the run now. */
export function attachJob(db: Db, runId: number, jobId: number, backend: string): void {
  setPretrainJob(db, runId, jobId, backend, Date.now());
}

/** Replaces the run's checkpoint and advances its epoch count in one transaction. */
export function saveCheckpoint(db: Db, runId: number, cp: Checkpoint, addSeconds: number): void {
  const { layout, data } = packArrays(cp.trainer.arrays);
  const manifest = JSON.stringify({ arrays: layout, queuePtr: cp.trainer.queuePtr, rng: cp.rng });
  const now = Date.now();
  db.transaction(() => {
    upsertCheckpoint(db, runId, { epoch: cp.epoch, step: cp.step, manifest, data }, now);
    advancePretrainRun(db, runId, cp.epoch, addSeconds, now);
  }).immediate();
}

export function loadCheckpoint(db: Db, runId: number): Checkpoint | null {
  const row = getCheckpointRow(db, runId);
  if (!row) return null;
  const m = JSON.parse(row.manifest) as { arrays: Array<{ name: string; shape: number[] }>; queuePtr: number; rng: RngState };
  return { epoch: row.epoch, step: row.step, rng: m.rng, trainer: { arrays: unpackArrays(m.arrays, row.data), queuePtr: m.queuePtr } };
}

export function recordLoss(db: Db, runId: number, p: LossPoint): void {
  upsertLoss(db, runId, p);
}

export { deleteLossesFrom };

/** The loss curve of a run, for the pipeline screen. */
export function readLossCurve(db: Db, name: string): LossCurve | undefined {
  const run = getPretrainRun(db, name);
  if (!run) return undefined;
  const stepsPerEpoch = Math.floor(run.imageCount / run.config.batchSize);
  return { name: run.name, state: run.state, epochs: run.config.epochs, stepsPerEpoch, steps: lossRows(db, run.id), perEpoch: lossPerEpoch(db, run.id) };
}

export interface FinishedEncoder {
  spec: EncoderSpec;
  arrays: NamedArray[];
}

/**
 * Stores the trained encoder, adds it as backbone 'project:<name>' and closes the run, in one
 * transaction; the bulky checkpoint is dropped. Returns the backbone id.
 */
export function finishRun(db: Db, run: PretrainRunRecord, encoder: FinishedEncoder, addSeconds: number): number {
  const { layout, data } = packArrays(encoder.arrays);
  const now = Date.now();
  const c = run.config;
  const name = projectBackboneName(run.name);
  return db
    .transaction(() => {
      upsertEncoder(db, run.id, JSON.stringify({ spec: encoder.spec, arrays: layout }), data, now);
      const backboneId = replaceBackbone(
        db,
        {
          name,
          source: 'project',
          location: name,
          sha256: null,
          inputSize: c.imageSize,
          channelOrder: 'RGB',
          layout: 'NCHW',
          mean: c.normalization.mean,
          std: c.normalization.std,
          inputName: 'images',
          outputName: 'features',
          outputDim: c.encoder.featureDim,
          license: 'trained in this project',
        },
        now,
      );
      markPretrainDone(db, run.id, c.epochs, backboneId, addSeconds, now);
      deleteCheckpoint(db, run.id);
      return backboneId;
    })
    .immediate();
}

export function projectBackboneName(runName: string): string {
  return `project:${runName}`;
}
