// corrections.*: a person's word on single images (their class, or that they are outliers). Every
// change returns the states it replaced, so undo can restore them exactly with corrections.restore.
import type { CorrectionChange, CorrectionEntry, CorrectionsApi } from '../../../preload/contract/api.ts';
import type { Db } from '../../db/connection.ts';
import { setCorrections, type Correction } from '../../pipeline/cluster/corrections.ts';
import type { ServiceContext } from './context.ts';
import { ApiError } from './errors.ts';

export function createCorrectionsService(ctx: ServiceContext): CorrectionsApi {
  const { session } = ctx;

  const apply = (entries: readonly CorrectionEntry[]): CorrectionChange => {
    const db = session.requireProject().db;
    // One write per image (the last one wins), so the previous states restore exactly.
    const last = new Map(entries.map((e) => [e.imageId, e]));
    requireImages(db, [...last.keys()]);
    const changes = setCorrections(db, [...last.values()].map((e) => ({ imageId: e.imageId, correction: toStage(e) })));
    session.changed(['corrections', 'classes']);
    return { previous: changes.map((c) => fromStage(c.imageId, c.previous)) };
  };

  return {
    async move({ imageIds, className }) {
      return apply(unique(imageIds).map((imageId) => ({ imageId, className, outlier: false })));
    },
    async markOutlier({ imageIds }) {
      return apply(unique(imageIds).map((imageId) => ({ imageId, className: null, outlier: true })));
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

function unique(ids: readonly number[]): number[] {
  return [...new Set(ids)];
}

function toStage(e: CorrectionEntry): Correction | null {
  if (e.outlier) return { kind: 'outlier' };
  return e.className === null ? null : { kind: 'class', className: e.className };
}

function fromStage(imageId: number, c: Correction | null): CorrectionEntry {
  if (c === null) return { imageId, className: null, outlier: false };
  return c.kind === 'outlier' ? { imageId, className: null, outlier: true } : { imageId, className: c.className, outlier: false };
}

function requireImages(db: Db, ids: readonly number[]): void {
  const exists = db.prepare('SELECT 1 FROM images WHERE id = ?').pluck();
  const missing = ids.filter((id) => !exists.get(id));
  if (missing.length) throw new ApiError('not-found', `no image with id ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', ...' : ''}`);
}
