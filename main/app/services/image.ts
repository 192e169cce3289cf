// image.*: everything about one image in a run, with its nearest neighbours found on demand.
import type { ImageApi, ImageDetail, Neighbour } from '../../../preload/contract/api.ts';
import type { Db } from '../../db/connection.ts';
import { loadEmbeddingMatrix, type EmbeddingMatrix } from '../../db/embeddings-repo.ts';
import { getAssignment } from '../../db/runs-repo.ts';
import { getImage } from '../../db/images-repo.ts';
import { shownLabel } from '../../db/labels-repo.ts';
import { finalLabelOf } from '../../pipeline/label/final-labels.ts';
import { topKByQuery } from '../../pipeline/label/similar.ts';
import { requireRun } from './clusters.ts';
import type { ServiceContext } from './context.ts';
import { ApiError } from './api-errors.ts';
import type { Session } from './session.ts';

const DEFAULT_NEIGHBOURS = 12;

export function createImageService(ctx: ServiceContext): ImageApi {
  const { session } = ctx;
  return {
    async detail({ imageId, runId, neighbours }): Promise<ImageDetail> {
      const db = session.requireProject().db;
      const run = requireRun(db, runId);
      const image = getImage(db, imageId);
      if (!image) throw new ApiError('not-found', `image ${imageId} does not exist`);
      const a = getAssignment(db, runId, imageId);
      // The one final-label rule: an image the run did not see (imported after it) shows its person label.
      const final = finalLabelOf(db, runId, imageId)!;
      return {
        imageId,
        relPath: image.relPath,
        width: image.width,
        height: image.height,
        format: image.format,
        bytes: image.bytes,
        label: image.label,
        probs: a ? Array.from(a.probs) : [],
        cluster: a?.cluster ?? null,
        confidence: a?.confidence ?? null,
        doubt: a?.doubt ?? null,
        reliable: a?.reliable === true,
        className: final.className,
        corrected: final.corrected,
        outlier: final.outlier,
        neighbours: nearestNeighbours(session, db, run.backboneId, runId, imageId, neighbours ?? DEFAULT_NEIGHBOURS),
      };
    },
  };
}

/** Plain embeddings of a backbone, kept in memory until embeddings change (one matrix per backbone). */
export function plainMatrix(session: Session, db: Db, backboneId: number): EmbeddingMatrix & { rowOf: Map<number, number> } {
  return session.cached(`plain:${backboneId}`, ['embeddings'], () => {
    const m = loadEmbeddingMatrix(db, backboneId, 'plain');
    return { ...m, rowOf: new Map(m.imageIds.map((id, i) => [id, i])) };
  });
}

function nearestNeighbours(session: Session, db: Db, backboneId: number, runId: number, imageId: number, k: number): Neighbour[] {
  if (k === 0) return [];
  const m = plainMatrix(session, db, backboneId);
  const row = m.rowOf.get(imageId);
  if (row === undefined) return [];
  const top = topKByQuery(m.data, m.dim, m.imageIds.length, m.data.subarray(row * m.dim, (row + 1) * m.dim), k, new Set([row]));
  return top.map(({ index, similarity }) => {
    const id = m.imageIds[index];
    const r = shownLabel(db, runId, id);
    return { imageId: id, similarity, cluster: r?.cluster ?? null, className: r?.finalLabel ?? null };
  });
}
