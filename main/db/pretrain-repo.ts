// Pre-training runs as stored (tables pretrain_runs, pretrain_checkpoints, pretrain_losses,
// pretrain_encoders, migration 004). Configs, manifests and packed arrays stay opaque here: the
// pretrain stage (pipeline/pretrain/store.ts) gives them meaning.
import type { Db } from './connection.ts';
import { many, one, run } from './statements.ts';

export type PretrainState = 'training' | 'done';

/** A pretrain_runs row; config is the run's JSON configuration. */
export interface PretrainRunRow {
  id: number;
  name: string;
  config: string;
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

/** A stored checkpoint: the manifest (JSON) says how data holds the trainer's arrays. */
export interface CheckpointRow {
  epoch: number;
  step: number;
  manifest: string;
  data: Buffer;
}

export interface LossRow {
  step: number;
  epoch: number;
  loss: number;
  lr: number;
}

export function getPretrainRunRow(db: Db, name: string): PretrainRunRow | undefined {
  return one<PretrainRunRow>(db, 'SELECT * FROM pretrain_runs WHERE name = ?', name);
}

export function listPretrainRunRows(db: Db): PretrainRunRow[] {
  return many<PretrainRunRow>(db, 'SELECT * FROM pretrain_runs ORDER BY id');
}

export function insertPretrainRun(db: Db, name: string, config: string, imageCount: number, jobId: number | null, now: number): void {
  run(
    db,
    `INSERT INTO pretrain_runs (name, config, state, image_count, job_id, created_at, updated_at) VALUES (?, ?, 'training', ?, ?, ?, ?)`,
    name,
    config,
    imageCount,
    jobId,
    now,
    now,
  );
}

/** Deletes a run that never finished, with its checkpoint and losses (to start it over). */
export function deleteUnfinishedPretrainRun(db: Db, runId: number): void {
  run(db, `DELETE FROM pretrain_runs WHERE id = ? AND state = 'training'`, runId);
}

export function setPretrainJob(db: Db, runId: number, jobId: number, backend: string, now: number): void {
  run(db, 'UPDATE pretrain_runs SET job_id = ?, backend = ?, updated_at = ? WHERE id = ?', jobId, backend, now, runId);
}

/** Replaces the run's checkpoint (the caller wraps this and advancePretrainRun in one transaction). */
export function upsertCheckpoint(db: Db, runId: number, cp: CheckpointRow, now: number): void {
  run(
    db,
    `INSERT INTO pretrain_checkpoints (run_id, epoch, step, manifest, data, saved_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT(run_id) DO UPDATE SET epoch = excluded.epoch, step = excluded.step, manifest = excluded.manifest, data = excluded.data, saved_at = excluded.saved_at`,
    runId,
    cp.epoch,
    cp.step,
    cp.manifest,
    cp.data,
    now,
  );
}

/** Records the epochs done and adds training seconds. */
export function advancePretrainRun(db: Db, runId: number, epochsDone: number, addSeconds: number, now: number): void {
  run(db, 'UPDATE pretrain_runs SET epochs_done = ?, seconds = seconds + ?, updated_at = ? WHERE id = ?', epochsDone, addSeconds, now, runId);
}

export function getCheckpointRow(db: Db, runId: number): CheckpointRow | undefined {
  return one<CheckpointRow>(db, 'SELECT epoch, step, manifest, data FROM pretrain_checkpoints WHERE run_id = ?', runId);
}

export function deleteCheckpoint(db: Db, runId: number): void {
  run(db, 'DELETE FROM pretrain_checkpoints WHERE run_id = ?', runId);
}

export function upsertLoss(db: Db, runId: number, p: LossRow): void {
  run(db, 'INSERT OR REPLACE INTO pretrain_losses (run_id, step, epoch, loss, lr) VALUES (?, ?, ?, ?, ?)', runId, p.step, p.epoch, p.loss, p.lr);
}

/** Drops losses of steps a resumed run will redo (after its last checkpoint). */
export function deleteLossesFrom(db: Db, runId: number, step: number): void {
  run(db, 'DELETE FROM pretrain_losses WHERE run_id = ? AND step >= ?', runId, step);
}

export function lossRows(db: Db, runId: number): LossRow[] {
  return many<LossRow>(db, 'SELECT step, epoch, loss, lr FROM pretrain_losses WHERE run_id = ? ORDER BY step', runId);
}

export function lossPerEpoch(db: Db, runId: number): Array<{ epoch: number; meanLoss: number; steps: number }> {
  return many(db, 'SELECT epoch, AVG(loss) AS meanLoss, COUNT(*) AS steps FROM pretrain_losses WHERE run_id = ? GROUP BY epoch ORDER BY epoch', runId);
}

export function upsertEncoder(db: Db, runId: number, manifest: string, data: Buffer, now: number): void {
  run(db, 'INSERT OR REPLACE INTO pretrain_encoders (run_id, manifest, data, saved_at) VALUES (?, ?, ?, ?)', runId, manifest, data, now);
}

export function getEncoderRow(db: Db, runId: number): { manifest: string; data: Buffer } | undefined {
  return one(db, 'SELECT manifest, data FROM pretrain_encoders WHERE run_id = ?', runId);
}

/** Closes a run: all epochs done, its backbone recorded, the last seconds added. */
export function markPretrainDone(db: Db, runId: number, epochs: number, backboneId: number, addSeconds: number, now: number): void {
  run(
    db,
    `UPDATE pretrain_runs SET state = 'done', epochs_done = ?, backbone_id = ?, seconds = seconds + ?, updated_at = ?, finished_at = ? WHERE id = ?`,
    epochs,
    backboneId,
    addSeconds,
    now,
    now,
    runId,
  );
}
