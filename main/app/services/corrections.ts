// corrections.*: a person's labels on single images (their class, or that they are outliers). Every
// change returns the labels it replaced, so undo can restore them exactly with corrections.restore.
import type { CorrectionChange, CorrectionEntry, CorrectionsApi } from '../../../preload/contract/api.ts';
import type { Db } from '../../db/connection.ts';
import { imageExists } from '../../db/images-repo.ts';
import { setPersonLabels, type PersonLabel, type PersonLabelChange } from '../../pipeline/label/person-labels.ts';
import type { ServiceContext } from './context.ts';
import { ApiError } from './api-errors.ts';

export function createCorrectionsService(ctx: ServiceContext): CorrectionsApi {
  const { session } = ctx;

  const apply = (entries: readonly CorrectionEntry[]): CorrectionChange => {
    const change = writePersonLabels(session.requireProject().db, entries);
    session.changed(['corrections', 'classes']);
    return change;
  };

  return {
    async move({ imageIds, className }) {
      return apply(unique(imageIds).map((imageId) => ({ imageId, className, outlier: false, origin: 'set' })));
    },
    async markOutlier({ imageIds }) {
      return apply(unique(imageIds).map((imageId) => ({ imageId, className: null, outlier: true, origin: 'set' })));
    },
    async clear({ imageIds }) {
      return apply(unique(imageIds).map((imageId) => ({ imageId, className: null, outlier: false })));
    },
    async restore({ entries }) {
      for (const e of entries) {
        if (e.className !== null && e.outlier) throw new ApiError('invalid-argument', `image ${e.imageId}: an outlier has no class`);
      }
      return apply(entries);
    },
  };
}

/** Writes person labels given as contract entries (one write per image, the last wins) and returns what they replaced. */
export function writePersonLabels(db: Db, entries: readonly CorrectionEntry[]): CorrectionChange {
  const last = new Map(entries.map((e) => [e.imageId, e]));
  requireImages(db, [...last.keys()]);
  const changes = setPersonLabels(
    db,
    [...last.values()].map((e) => ({ imageId: e.imageId, label: toPersonLabel(e) })),
  );
  return toCorrectionChange(changes);
}

export function toCorrectionChange(changes: readonly PersonLabelChange[]): CorrectionChange {
  return { previous: changes.map((c) => toEntry(c.imageId, c.previous)) };
}

function unique(ids: readonly number[]): number[] {
  return [...new Set(ids)];
}

function toPersonLabel(e: CorrectionEntry): PersonLabel | null {
  const origin = e.origin ?? 'set';
  if (e.outlier) return { kind: 'outlier', origin };
  return e.className === null ? null : { kind: 'class', className: e.className, origin };
}

function toEntry(imageId: number, l: PersonLabel | null): CorrectionEntry {
  if (l === null) return { imageId, className: null, outlier: false };
  return l.kind === 'outlier' ? { imageId, className: null, outlier: true, origin: l.origin } : { imageId, className: l.className, outlier: false, origin: l.origin };
}

function requireImages(db: Db, ids: readonly number[]): void {
  const missing = ids.filter((id) => !imageExists(db, id));
  if (missing.length) throw new ApiError('not-found', `no image with id ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', ...' : ''}`);
}
