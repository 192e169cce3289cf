// What is computed once per backbone from its plain vectors and kept for reuse: the cosine k-NN graph
// (table knn_graphs) and the 2-D map (table projections). Each row carries the signature of the vectors
// it was computed from; deciding whether it still fits is the caller's.
import type { Db } from './connection.ts';
import { one, run } from './statements.ts';

export interface StoredKnnGraph {
  k: number;
  signature: string;
  /** int32, n x k. */
  indices: Buffer;
  /** float32, n x k. */
  similarities: Buffer;
}

export function getKnnGraph(db: Db, backboneId: number): StoredKnnGraph | undefined {
  return one<StoredKnnGraph>(db, 'SELECT k, signature, indices, similarities FROM knn_graphs WHERE backbone_id = ?', backboneId);
}

/** Stores the backbone's graph in place of any earlier one; imageIds: int32 row order. */
export function saveKnnGraph(db: Db, backboneId: number, graph: StoredKnnGraph & { imageIds: Buffer }, now: number): void {
  run(
    db,
    `INSERT INTO knn_graphs (backbone_id, k, signature, image_ids, indices, similarities, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT(backbone_id) DO UPDATE SET k = excluded.k, signature = excluded.signature, image_ids = excluded.image_ids,
       indices = excluded.indices, similarities = excluded.similarities, created_at = excluded.created_at`,
    backboneId,
    graph.k,
    graph.signature,
    graph.imageIds,
    graph.indices,
    graph.similarities,
    now,
  );
}

export interface StoredProjectionRow {
  signature: string;
  /** int32 image ids, one per point. */
  imageIds: Buffer;
  /** float32 x, y per point. */
  coords: Buffer;
}

export function getProjection(db: Db, backboneId: number): StoredProjectionRow | undefined {
  return one<StoredProjectionRow>(db, 'SELECT signature, image_ids, coords FROM projections WHERE backbone_id = ?', backboneId);
}

/** Stores the backbone's map (method 'umap') in place of any earlier one. */
export function saveProjection(db: Db, backboneId: number, projection: StoredProjectionRow & { params: string }, now: number): void {
  run(
    db,
    `INSERT INTO projections (backbone_id, method, params, signature, image_ids, coords, created_at) VALUES (?, 'umap', ?, ?, ?, ?, ?)
     ON CONFLICT(backbone_id) DO UPDATE SET method = excluded.method, params = excluded.params, signature = excluded.signature,
       image_ids = excluded.image_ids, coords = excluded.coords, created_at = excluded.created_at`,
    backboneId,
    projection.params,
    projection.signature,
    projection.imageIds,
    projection.coords,
    now,
  );
}
