// review.*: the review queue across all clusters, and "more like these".
import type { ImagePage, ReviewApi, ReviewPage } from '../../../preload/contract/api.ts';
import { reviewedImageIds } from '../../db/labels-repo.ts';
import { reviewQueue, rowsOfImages } from '../../db/run-labels-repo.ts';
import { relaxedClusters, requireRun, toImageRow } from './clusters.ts';
import type { ServiceContext } from './context.ts';
import { plainMatrix } from './image.ts';
import { topKSimilar } from '../../pipeline/label/similar.ts';

export function createReviewService(ctx: ServiceContext): ReviewApi {
  const { session } = ctx;
  return {
    async queue({ runId, offset, limit, hideReviewed }): Promise<ReviewPage> {
      const db = session.requireProject().db;
      const run = requireRun(db, runId);
      const page = reviewQueue(db, runId, { offset, limit, hideReviewed: hideReviewed ?? true });
      const relaxed = relaxedClusters(session, run);
      return { total: page.total, offset, unreviewed: page.unreviewed, items: page.rows.map((r) => toImageRow(r, relaxed)) };
    },

    async similar({ runId, imageIds, limit, hideReviewed }): Promise<ImagePage> {
      const db = session.requireProject().db;
      const run = requireRun(db, runId);
      const m = plainMatrix(session, db, run.backboneId);
      const rows = imageIds.map((id) => m.rowOf.get(id)).filter((r): r is number => r !== undefined);
      const relaxed = relaxedClusters(session, run);
      if (rows.length === 0) return { total: 0, offset: 0, items: [] };
      // Ask for more than needed when reviewed images are to be left out afterwards.
      const reviewed = hideReviewed ? new Set(reviewedImageIds(db)) : new Set<number>();
      const exclude = new Set([...rows, ...[...reviewed].map((id) => m.rowOf.get(id)).filter((r): r is number => r !== undefined)]);
      const top = topKSimilar(m.data, m.dim, m.imageIds.length, rows, limit, exclude);
      const items = rowsOfImages(
        db,
        runId,
        top.map((t) => m.imageIds[t.index]),
      ).map((r) => toImageRow(r, relaxed));
      return { total: items.length, offset: 0, items };
    },
  };
}
