// image.*: everything about one image in a run, with its nearest neighbours found on demand.
import type { ImageApi, ImageDetail, Neighbour } from '../../../preload/contract/api.ts';
import type { Db } from '../../db/connection.ts';
import { loadEmbeddingMatrix, type EmbeddingMatrix } from '../../db/embeddings-repo.ts';
import { blobToFloat32 } from '../../db/runs-repo.ts';
import { getPersonLabel } from '../../pipeline/label/person-labels.ts';
import { topKByQuery } from '../../pipeline/label/similar.ts';
import { requireRun } from './clusters.ts';
import type { ServiceContext } from './context.ts';
import { ApiError } from './errors.ts';
import type { Session } from './session.ts';

const DEFAULT_NEIGHBOURS = 12;

export function createImageService(ctx: ServiceContext): ImageApi {
  const { session } = ctx;
  return {
    async detail({ imageId, runId, neighbours }): Promise<ImageDetail> {
      const db = session.requireProject().db;
      const run = requireRun(db, runId);
      const image = db.prepare('SELECT id, rel_path, width, height, format, bytes, label FROM images WHERE id = ?').get(imageId) as
        | { id: number; rel_path: string; width: number; height: number; format: string; bytes: number; label: string | null }
        | undefined;
      if (!image) throw new ApiError('not-found', `image ${imageId} does not exist`);
      const a = db
        .prepare(
          `SELECT r.cluster, r.confidence, r.doubt, r.reliable, a.probs, r.final_label, r.corrected, r.outlier
           FROM run_labels r JOIN assignments a ON a.run_id = r.run_id AND a.image_id = r.image_id WHERE r.run_id = ? AND r.image_id = ?`,
        )
        .get(runId, imageId) as
        | { cluster: number; confidence: number; doubt: number; reliable: number; probs: Buffer; final_label: string | null; corrected: number; outlier: number }
        | undefined;
      // An image the run did not see (imported after it) still shows its person label.
      const personLabel = a ? null : getPersonLabel(db, imageId);
      return {
        imageId,
        relPath: image.rel_path,
        width: image.width,
        height: image.height,
        format: image.format,
        bytes: image.bytes,
        label: image.label,
        probs: a ? Array.from(blobToFloat32(a.probs)) : [],
        cluster: a?.cluster ?? null,
        confidence: a?.confidence ?? null,
        doubt: a?.doubt ?? null,
        reliable: a?.reliable === 1,
        className: a ? a.final_label : personLabel?.kind === 'class' ? personLabel.className : null,
        corrected: a ? a.corrected === 1 : personLabel !== null,
        outlier: a ? a.outlier === 1 : personLabel?.kind === 'outlier',
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
  const info = db.prepare('SELECT cluster, final_label FROM run_labels WHERE run_id = ? AND image_id = ?');
  return top.map(({ index, similarity }) => {
    const id = m.imageIds[index];
    const r = info.get(runId, id) as { cluster: number; final_label: string | null } | undefined;
    return { imageId: id, similarity, cluster: r?.cluster ?? null, className: r?.final_label ?? null };
  });
}
