// image.*: everything about one image in a run, with its nearest neighbours found on demand.
import type { ImageApi, ImageDetail, Neighbour } from '../../../preload/contract/api.ts';
import type { Db } from '../../db/connection.ts';
import { loadEmbeddingMatrix, type EmbeddingMatrix } from '../../db/embeddings-repo.ts';
import { blobToFloat32 } from '../../pipeline/cluster/runs-repo.ts';
import { requireRun } from './clusters.ts';
import type { ServiceContext } from './context.ts';
import { ApiError } from './errors.ts';
import { FINAL_LABEL, FINAL_LABEL_JOINS } from './final-label-sql.ts';
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
          `SELECT a.cluster, a.confidence, a.doubt, a.reliable, a.probs, ${FINAL_LABEL} AS final_label,
             c.image_id IS NOT NULL AND c.outlier = 0 AS corrected, COALESCE(c.outlier, 0) AS outlier
           FROM assignments a ${FINAL_LABEL_JOINS} WHERE a.run_id = ? AND a.image_id = ?`,
        )
        .get(runId, imageId) as
        | { cluster: number; confidence: number; doubt: number; reliable: number; probs: Buffer; final_label: string | null; corrected: number; outlier: number }
        | undefined;
      const correction = a
        ? null
        : (db.prepare('SELECT class_name, outlier FROM corrections WHERE image_id = ?').get(imageId) as { class_name: string | null; outlier: number } | undefined);
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
        className: a ? a.final_label : (correction?.class_name ?? null),
        corrected: a ? a.corrected === 1 : Boolean(correction && correction.outlier === 0),
        outlier: a ? a.outlier === 1 : correction?.outlier === 1,
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
  const top = topKCosine(m.data, m.dim, m.imageIds.length, row, k);
  const info = db.prepare(`SELECT a.cluster, ${FINAL_LABEL} AS final_label FROM assignments a ${FINAL_LABEL_JOINS} WHERE a.run_id = ? AND a.image_id = ?`);
  return top.map(({ index, similarity }) => {
    const id = m.imageIds[index];
    const r = info.get(runId, id) as { cluster: number; final_label: string | null } | undefined;
    return { imageId: id, similarity, cluster: r?.cluster ?? null, className: r?.final_label ?? null };
  });
}

/** The k rows most similar to `row` (vectors are L2-normalised, so the dot product is the cosine), best first. */
export function topKCosine(data: Float32Array, dim: number, n: number, row: number, k: number): Array<{ index: number; similarity: number }> {
  const q = data.subarray(row * dim, row * dim + dim);
  // A small sorted buffer beats sorting all n similarities for the k of a detail view.
  const best: Array<{ index: number; similarity: number }> = [];
  for (let i = 0; i < n; i++) {
    if (i === row) continue;
    let s = 0;
    const off = i * dim;
    for (let d = 0; d < dim; d++) s += q[d] * data[off + d];
    if (best.length < k) {
      best.push({ index: i, similarity: s });
      if (best.length === k) best.sort((x, y) => y.similarity - x.similarity);
    } else if (s > best[k - 1].similarity) {
      let j = k - 1;
      while (j > 0 && best[j - 1].similarity < s) j--;
      best.splice(j, 0, { index: i, similarity: s });
      best.pop();
    }
  }
  if (best.length < k) best.sort((x, y) => y.similarity - x.similarity);
  return best;
}
