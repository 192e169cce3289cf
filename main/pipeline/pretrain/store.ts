// Pre-training runs in the project database: checkpoints, the loss curve, and the finished encoder
// (read back for embedding by main/models/project-backbone.ts).
import type { Db } from '../../db/connection.ts';
import type { EncoderSpec, PretrainConfig } from '../../ml/moco/config.ts';
import type { NamedArray, TrainerState } from '../../ml/moco/moco.ts';
import { packArrays, unpackArrays } from '../../ml/moco/packed-arrays.ts';
import type { RngState } from '../../base/random.ts';

export type PretrainState = 'training' | 'done';

export interface PretrainRunRecord {
  id: number;
  name: string;
  config: PretrainConfig;
  state: PretrainState;
  epochsDone: number;
  imageCount: number;
  backend: string | null;
  jobId: number | null;
  backboneId: number | null;
  seconds: number;
  createdAt: number;
  updatedAt: number;
  finishedAt: number | null;
}

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

interface RunRow {
  id: number;
  name: string;
  config: string;
  state: PretrainState;
  epochs_done: number;
  image_count: number;
  backend: string | null;
  job_id: number | null;
  backbone_id: number | null;
  seconds: number;
  created_at: number;
  updated_at: number;
  finished_at: number | null;
}

function toRecord(r: RunRow): PretrainRunRecord {
  return {
    id: r.id,
    name: r.name,
    config: JSON.parse(r.config) as PretrainConfig,
    state: r.state,
    epochsDone: r.epochs_done,
    imageCount: r.image_count,
    backend: r.backend,
    jobId: r.job_id,
    backboneId: r.backbone_id,
    seconds: r.seconds,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    finishedAt: r.finished_at,
  };
}

export function getPretrainRun(db: Db, name: string): PretrainRunRecord | undefined {
  const row = db.prepare('SELECT * FROM pretrain_runs WHERE name = ?').get(name) as RunRow | undefined;
  return row ? toRecord(row) : undefined;
}

export function listPretrainRuns(db: Db): PretrainRunRecord[] {
  return (db.prepare('SELECT * FROM pretrain_runs ORDER BY id').all() as RunRow[]).map(toRecord);
}

export function createPretrainRun(db: Db, name: string, config: PretrainConfig, imageCount: number, jobId: number | null): PretrainRunRecord {
  const now = Date.now();
  db.prepare(`INSERT INTO pretrain_runs (name, config, state, image_count, job_id, created_at, updated_at) VALUES (?, ?, 'training', ?, ?, ?, ?)`).run(
    name,
    JSON.stringify(config),
    imageCount,
    jobId,
    now,
    now,
  );
  return getPretrainRun(db, name)!;
}

/** Deletes a run that never finished, with its checkpoint and losses (to start it over). */
export function deletePretrainRun(db: Db, runId: number): void {
  db.prepare(`DELETE FROM pretrain_runs WHERE id = ? AND state = 'training'`).run(runId);
}

/** Records which job and backend train the run now. */
export function attachJob(db: Db, runId: number, jobId: number, backend: string): void {
  db.prepare('UPDATE pretrain_runs SET job_id = ?, backend = ?, updated_at = ? WHERE id = ?').run(jobId, backend, Date.now(), runId);
}

/** Replaces the run's checkpoint and advances its epoch count in one transaction. */
export function saveCheckpoint(db: Db, runId: number, cp: Checkpoint, addSeconds: number): void {
  const { layout, data } = packArrays(cp.trainer.arrays);
  const manifest = JSON.stringify({ arrays: layout, queuePtr: cp.trainer.queuePtr, rng: cp.rng });
  const now = Date.now();
  db.transaction(() => {
    db.prepare(
      `INSERT INTO pretrain_checkpoints (run_id, epoch, step, manifest, data, saved_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT(run_id) DO UPDATE SET epoch = excluded.epoch, step = excluded.step, manifest = excluded.manifest, data = excluded.data, saved_at = excluded.saved_at`,
    ).run(runId, cp.epoch, cp.step, manifest, data, now);
    db.prepare('UPDATE pretrain_runs SET epochs_done = ?, seconds = seconds + ?, updated_at = ? WHERE id = ?').run(cp.epoch, addSeconds, now, runId);
  }).immediate();
}

export function loadCheckpoint(db: Db, runId: number): Checkpoint | null {
  const row = db.prepare('SELECT epoch, step, manifest, data FROM pretrain_checkpoints WHERE run_id = ?').get(runId) as
    | { epoch: number; step: number; manifest: string; data: Buffer }
    | undefined;
  if (!row) return null;
  const m = JSON.parse(row.manifest) as { arrays: Array<{ name: string; shape: number[] }>; queuePtr: number; rng: RngState };
  return { epoch: row.epoch, step: row.step, rng: m.rng, trainer: { arrays: unpackArrays(m.arrays, row.data), queuePtr: m.queuePtr } };
}

export function recordLoss(db: Db, runId: number, p: LossPoint): void {
  db.prepare('INSERT OR REPLACE INTO pretrain_losses (run_id, step, epoch, loss, lr) VALUES (?, ?, ?, ?, ?)').run(runId, p.step, p.epoch, p.loss, p.lr);
}

/** Drops losses of steps a resumed run will redo (after its last checkpoint). */
export function deleteLossesFrom(db: Db, runId: number, step: number): void {
  db.prepare('DELETE FROM pretrain_losses WHERE run_id = ? AND step >= ?').run(runId, step);
}

/** The loss curve of a run, for the pipeline screen. */
export function readLossCurve(db: Db, name: string): LossCurve | undefined {
  const run = getPretrainRun(db, name);
  if (!run) return undefined;
  const steps = db.prepare('SELECT step, epoch, loss, lr FROM pretrain_losses WHERE run_id = ? ORDER BY step').all(run.id) as LossPoint[];
  const perEpoch = db
    .prepare('SELECT epoch, AVG(loss) AS meanLoss, COUNT(*) AS steps FROM pretrain_losses WHERE run_id = ? GROUP BY epoch ORDER BY epoch')
    .all(run.id) as LossCurve['perEpoch'];
  const stepsPerEpoch = Math.floor(run.imageCount / run.config.batchSize);
  return { name: run.name, state: run.state, epochs: run.config.epochs, stepsPerEpoch, steps, perEpoch };
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
  return db.transaction(() => {
    db.prepare('INSERT OR REPLACE INTO pretrain_encoders (run_id, manifest, data, saved_at) VALUES (?, ?, ?, ?)').run(
      run.id,
      JSON.stringify({ spec: encoder.spec, arrays: layout }),
      data,
      now,
    );
    const existing = db.prepare('SELECT id FROM backbones WHERE name = ?').get(name) as { id: number } | undefined;
    if (existing) db.prepare('DELETE FROM backbones WHERE id = ?').run(existing.id);
    const backboneId = Number(
      db
        .prepare(
          `INSERT INTO backbones (name, source, location, sha256, input_size, channel_order, layout, mean, std, input_name, output_name, output_dim, license, added_at)
           VALUES (?, 'project', ?, NULL, ?, 'RGB', 'NCHW', ?, ?, 'images', 'features', ?, ?, ?)`,
        )
        .run(name, name, c.imageSize, JSON.stringify(c.normalization.mean), JSON.stringify(c.normalization.std), c.encoder.featureDim, 'trained in this project', now).lastInsertRowid,
    );
    db.prepare(`UPDATE pretrain_runs SET state = 'done', epochs_done = ?, backbone_id = ?, seconds = seconds + ?, updated_at = ?, finished_at = ? WHERE id = ?`).run(
      c.epochs,
      backboneId,
      addSeconds,
      now,
      now,
      run.id,
    );
    db.prepare('DELETE FROM pretrain_checkpoints WHERE run_id = ?').run(run.id);
    return backboneId;
  }).immediate();
}

export function projectBackboneName(runName: string): string {
  return `project:${runName}`;
}
