// A person's labels on single images (table `person_labels`): a class, or the word that an image is an
// outlier, and how the label came about. Labels belong to images, not to runs: they survive every re-run,
// win over whatever a run predicts, and are what refine learns from. Every write returns the labels it
// replaced, so a caller can undo it with restorePersonLabels.
import type { Db } from '../../db/connection.ts';
import { ensureClass } from '../../project/classes.ts';
import { NotFoundError } from '../../base/errors.ts';
import {
  countPersonLabels as countRows,
  deletePersonLabel,
  getPersonLabelRow,
  listPersonLabelRows,
  upsertPersonLabel,
  type LabelOrigin,
  type PersonLabelRow,
} from '../../db/labels-repo.ts';
import { imageExists } from '../../db/images-repo.ts';

/** 'set': moved or marked in the app; 'accepted': confirmed as the model showed it; 'imported': CSV or labelled folder. */
export type { LabelOrigin };
export const LABEL_ORIGINS: readonly LabelOrigin[] = ['set', 'accepted', 'imported'];

export type PersonLabel = { kind: 'class'; className: string; origin: LabelOrigin } | { kind: 'outlier'; origin: LabelOrigin };

export interface PersonLabelChange {
  imageId: number;
  /** null: the image had no person label. */
  previous: PersonLabel | null;
}

function toLabel(r: PersonLabelRow): PersonLabel {
  return r.outlier === 1 || r.className === null ? { kind: 'outlier', origin: r.origin } : { kind: 'class', className: r.className, origin: r.origin };
}

export function getPersonLabel(db: Db, imageId: number): PersonLabel | null {
  const row = getPersonLabelRow(db, imageId);
  return row ? toLabel(row) : null;
}

export function listPersonLabels(db: Db): Map<number, PersonLabel> {
  return new Map(listPersonLabelRows(db).map((r) => [r.imageId, toLabel(r)]));
}

export function countPersonLabels(db: Db): number {
  return countRows(db);
}

/** Gives images a class (created if new), as set by the person in the app unless `origin` says otherwise. */
export function labelImages(db: Db, imageIds: readonly number[], className: string, origin: LabelOrigin = 'set'): PersonLabelChange[] {
  return setPersonLabels(
    db,
    imageIds.map((imageId) => ({ imageId, label: { kind: 'class', className, origin } })),
  );
}

export function markOutliers(db: Db, imageIds: readonly number[]): PersonLabelChange[] {
  return setPersonLabels(
    db,
    imageIds.map((imageId) => ({ imageId, label: { kind: 'outlier', origin: 'set' } })),
  );
}

/** Removes person labels: the model's label applies again. */
export function clearPersonLabels(db: Db, imageIds: readonly number[]): PersonLabelChange[] {
  return setPersonLabels(
    db,
    imageIds.map((imageId) => ({ imageId, label: null })),
  );
}

/**
 * Writes labels (null removes one) in one write transaction; returns the previous labels in the same
 * order. An unknown image fails the whole batch.
 */
export function setPersonLabels(db: Db, changes: ReadonlyArray<{ imageId: number; label: PersonLabel | null }>): PersonLabelChange[] {
  return db
    .transaction(() =>
      changes.map(({ imageId, label }) => {
        const previous = getPersonLabel(db, imageId);
        if (label === null) deletePersonLabel(db, imageId);
        else {
          if (!imageExists(db, imageId)) throw new UnknownImageError(imageId);
          if (label.kind === 'class') upsertPersonLabel(db, imageId, { className: ensureClass(db, label.className), outlier: 0, origin: label.origin }, Date.now());
          else upsertPersonLabel(db, imageId, { className: null, outlier: 1, origin: label.origin }, Date.now());
        }
        return { imageId, previous };
      }),
    )
    .immediate();
}

/** Undo: puts back the labels a write returned. */
export function restorePersonLabels(db: Db, changes: readonly PersonLabelChange[]): PersonLabelChange[] {
  return setPersonLabels(
    db,
    [...changes].reverse().map((c) => ({ imageId: c.imageId, label: c.previous })),
  );
}

export class UnknownImageError extends NotFoundError {
  constructor(readonly imageId: number) {
    super(`there is no image ${imageId}`);
    this.name = 'UnknownImageError';
  }
}
