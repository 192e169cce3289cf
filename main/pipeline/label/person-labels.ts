// A person's labels on single images (table `person_labels`): a class, or the word that an image is an
// outlier, and how the label came about. Labels belong to images, not to runs: they survive every re-run,
// win over whatever a run predicts, and are what refine learns from. Every write returns the labels it
// replaced, so a caller can undo it with restorePersonLabels.
import type { Db } from '../../db/connection.ts';
import { ensureClass } from '../../project/classes.ts';
import { NotFoundError } from '../../base/errors.ts';

/** 'set': moved or marked in the app; 'accepted': confirmed as the model showed it; 'imported': CSV or labelled folder. */
export type LabelOrigin = 'set' | 'accepted' | 'imported';
export const LABEL_ORIGINS: readonly LabelOrigin[] = ['set', 'accepted', 'imported'];

export type PersonLabel = { kind: 'class'; className: string; origin: LabelOrigin } | { kind: 'outlier'; origin: LabelOrigin };

export interface PersonLabelChange {
  imageId: number;
  /** null: the image had no person label. */
  previous: PersonLabel | null;
}

interface PersonLabelRow {
  class_name: string | null;
  outlier: number;
  origin: LabelOrigin;
}

function toLabel(r: PersonLabelRow): PersonLabel {
  return r.outlier === 1 || r.class_name === null ? { kind: 'outlier', origin: r.origin } : { kind: 'class', className: r.class_name, origin: r.origin };
}

export function getPersonLabel(db: Db, imageId: number): PersonLabel | null {
  const row = db.prepare('SELECT class_name, outlier, origin FROM person_labels WHERE image_id = ?').get(imageId) as PersonLabelRow | undefined;
  return row ? toLabel(row) : null;
}

export function listPersonLabels(db: Db): Map<number, PersonLabel> {
  const rows = db.prepare('SELECT image_id, class_name, outlier, origin FROM person_labels').all() as Array<PersonLabelRow & { image_id: number }>;
  return new Map(rows.map((r) => [r.image_id, toLabel(r)]));
}

export function countPersonLabels(db: Db): number {
  return db.prepare('SELECT COUNT(*) FROM person_labels').pluck().get() as number;
}

/** Gives images a class (created if new), as set by the person in the app unless `origin` says otherwise. */
export function labelImages(db: Db, imageIds: readonly number[], className: string, origin: LabelOrigin = 'set'): PersonLabelChange[] {
  return setPersonLabels(db, imageIds.map((imageId) => ({ imageId, label: { kind: 'class', className, origin } })));
}

export function markOutliers(db: Db, imageIds: readonly number[]): PersonLabelChange[] {
  return setPersonLabels(db, imageIds.map((imageId) => ({ imageId, label: { kind: 'outlier', origin: 'set' } })));
}

/** Removes person labels: the model's label applies again. */
export function clearPersonLabels(db: Db, imageIds: readonly number[]): PersonLabelChange[] {
  return setPersonLabels(db, imageIds.map((imageId) => ({ imageId, label: null })));
}

/**
 * Writes labels (null removes one) in one write transaction; returns the previous labels in the same
 * order. An unknown image fails the whole batch.
 */
export function setPersonLabels(db: Db, changes: ReadonlyArray<{ imageId: number; label: PersonLabel | null }>): PersonLabelChange[] {
  const imageExists = db.prepare('SELECT 1 FROM images WHERE id = ?').pluck();
  const upsert = db.prepare(
    `INSERT INTO person_labels (image_id, class_name, outlier, origin, updated_at) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT(image_id) DO UPDATE SET class_name = excluded.class_name, outlier = excluded.outlier, origin = excluded.origin, updated_at = excluded.updated_at`,
  );
  const remove = db.prepare('DELETE FROM person_labels WHERE image_id = ?');
  return db
    .transaction(() =>
      changes.map(({ imageId, label }) => {
        const previous = getPersonLabel(db, imageId);
        if (label === null) remove.run(imageId);
        else {
          if (!imageExists.get(imageId)) throw new UnknownImageError(imageId);
          if (label.kind === 'class') upsert.run(imageId, ensureClass(db, label.className), 0, label.origin, Date.now());
          else upsert.run(imageId, null, 1, label.origin, Date.now());
        }
        return { imageId, previous };
      }),
    )
    .immediate();
}

/** Undo: puts back the labels a write returned. */
export function restorePersonLabels(db: Db, changes: readonly PersonLabelChange[]): PersonLabelChange[] {
  return setPersonLabels(db, [...changes].reverse().map((c) => ({ imageId: c.imageId, label: c.previous })));
}

export class UnknownImageError extends NotFoundError {
  constructor(readonly imageId: number) {
    super(`there is no image ${imageId}`);
    this.name = 'UnknownImageError';
  }
}
