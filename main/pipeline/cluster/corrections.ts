// A person's word on single images (table `corrections`): move to a class, or mark as outlier.
// Stored apart from runs, so it survives a re-run and overrides whatever a run says. Every write
// returns the state it replaced, so a caller can undo it with restoreCorrections.
import type { Db } from '../../db/connection.ts';
import { ensureClass } from './classes-repo.ts';

export type Correction = { kind: 'class'; className: string } | { kind: 'outlier' };

export interface CorrectionChange {
  imageId: number;
  /** null: the image had no correction. */
  previous: Correction | null;
}

export function getCorrection(db: Db, imageId: number): Correction | null {
  const row = db.prepare('SELECT class_name, outlier FROM corrections WHERE image_id = ?').get(imageId) as CorrectionRow | undefined;
  return row ? toCorrection(row) : null;
}

export function listCorrections(db: Db): Map<number, Correction> {
  const rows = db.prepare('SELECT image_id, class_name, outlier FROM corrections').all() as Array<CorrectionRow & { image_id: number }>;
  return new Map(rows.map((r) => [r.image_id, toCorrection(r)]));
}

export function countCorrections(db: Db): number {
  return db.prepare('SELECT COUNT(*) FROM corrections').pluck().get() as number;
}

/** Moves images to a class (created if new). */
export function moveImagesToClass(db: Db, imageIds: readonly number[], className: string): CorrectionChange[] {
  return setCorrections(db, imageIds.map((imageId) => ({ imageId, correction: { kind: 'class', className } })));
}

export function markOutliers(db: Db, imageIds: readonly number[]): CorrectionChange[] {
  return setCorrections(db, imageIds.map((imageId) => ({ imageId, correction: { kind: 'outlier' } })));
}

/** Removes corrections, so the run's cluster name applies again. */
export function clearCorrections(db: Db, imageIds: readonly number[]): CorrectionChange[] {
  return setCorrections(db, imageIds.map((imageId) => ({ imageId, correction: null })));
}

/** Writes corrections (null removes one) in one transaction; returns previous states in the same order. */
export function setCorrections(db: Db, changes: ReadonlyArray<{ imageId: number; correction: Correction | null }>): CorrectionChange[] {
  const imageExists = db.prepare('SELECT 1 FROM images WHERE id = ?').pluck();
  const upsert = db.prepare(
    `INSERT INTO corrections (image_id, class_name, outlier, updated_at) VALUES (?, ?, ?, ?)
     ON CONFLICT(image_id) DO UPDATE SET class_name = excluded.class_name, outlier = excluded.outlier, updated_at = excluded.updated_at`,
  );
  const remove = db.prepare('DELETE FROM corrections WHERE image_id = ?');
  return db.transaction(() =>
    changes.map(({ imageId, correction }) => {
      const previous = getCorrection(db, imageId);
      if (correction === null) remove.run(imageId);
      else {
        if (!imageExists.get(imageId)) throw new Error(`there is no image ${imageId}`);
        if (correction.kind === 'class') upsert.run(imageId, ensureClass(db, correction.className), 0, Date.now());
        else upsert.run(imageId, null, 1, Date.now());
      }
      return { imageId, previous };
    }),
  )();
}

/** Undo: puts back the states a write returned. */
export function restoreCorrections(db: Db, changes: readonly CorrectionChange[]): void {
  setCorrections(db, [...changes].reverse().map((c) => ({ imageId: c.imageId, correction: c.previous })));
}

interface CorrectionRow {
  class_name: string | null;
  outlier: number;
}

function toCorrection(r: CorrectionRow): Correction {
  return r.outlier === 1 || r.class_name === null ? { kind: 'outlier' } : { kind: 'class', className: r.class_name };
}
