// Stored embeddings (one float32 vector per image, backbone and view) and the specs of the views.
import type { Db } from './connection.ts';
import { many, one, run, tuples, value } from './statements.ts';

export type ViewKind = 'plain' | 'weak' | 'strong' | 'fixed';

export interface EmbeddingRow {
  imageId: number;
  view: string;
  /** L2-normalised. */
  vector: Float32Array;
}

export interface EmbeddingMatrix {
  /** Ascending; row i of data belongs to imageIds[i]. */
  imageIds: number[];
  dim: number;
  /** N x dim, row-major, L2-normalised. */
  data: Float32Array;
}

export interface ViewSpec {
  view: string;
  kind: ViewKind;
  seed: number;
  inputSize: number;
  params: Record<string, unknown>;
}

/**
 * Inserts a batch in one transaction, so a kill leaves all of it or none. A row already present is
 * kept (a rerun that races another process never duplicates). Returns how many rows were new.
 */
export function saveEmbeddingBatch(db: Db, backboneId: number, rows: readonly EmbeddingRow[]): number {
  return db
    .transaction(() => {
      let added = 0;
      for (const r of rows) {
        added += run(
          db,
          'INSERT INTO embeddings (image_id, backbone_id, view, vector) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING',
          r.imageId,
          backboneId,
          r.view,
          vectorToBlob(r.vector),
        ).changes;
      }
      return added;
    })
    .immediate();
}

/** Images that have no vector yet for (backbone, view), in id order. */
export function imagesMissingView(db: Db, backboneId: number, view: string): Array<{ id: number; relPath: string; width: number; height: number }> {
  return many(
    db,
    `SELECT i.id AS id, i.rel_path AS relPath, i.width AS width, i.height AS height FROM images i
       WHERE NOT EXISTS (SELECT 1 FROM embeddings e WHERE e.backbone_id = ? AND e.view = ? AND e.image_id = i.id)
       ORDER BY i.id`,
    backboneId,
    view,
  );
}

export function countEmbeddings(db: Db, backboneId: number, view?: string): number {
  const n =
    view === undefined
      ? value<number>(db, 'SELECT COUNT(*) FROM embeddings WHERE backbone_id = ?', backboneId)
      : value<number>(db, 'SELECT COUNT(*) FROM embeddings WHERE backbone_id = ? AND view = ?', backboneId, view);
  return n ?? 0;
}

/** Stored vectors per view, plain first, then weak/0.., strong/0... */
export function embeddingCounts(db: Db, backboneId: number): Array<{ view: string; count: number }> {
  const rows = many<{ view: string; count: number }>(db, 'SELECT view, COUNT(*) AS count FROM embeddings WHERE backbone_id = ? GROUP BY view', backboneId);
  return rows.sort((a, b) => compareViews(a.view, b.view));
}

/**
 * Per view: how many vectors and the highest image id, ordered by view. Changes whenever vectors are
 * added or removed, so caches of what was read from them key on it.
 */
export function embeddingStamp(db: Db, backboneId: number): Array<{ view: string; n: number; last: number }> {
  return many(db, 'SELECT view, COUNT(*) AS n, MAX(image_id) AS last FROM embeddings WHERE backbone_id = ? GROUP BY view ORDER BY view', backboneId);
}

/** The same for the plain view alone (max null without vectors). */
export function plainEmbeddingStamp(db: Db, backboneId: number): { n: number; max: number | null } {
  return one<{ n: number; max: number | null }>(db, `SELECT COUNT(*) AS n, MAX(image_id) AS max FROM embeddings WHERE backbone_id = ? AND view = 'plain'`, backboneId)!;
}

/** Views of a backbone that hold at least one vector, plain first. */
export function listViews(db: Db, backboneId: number): string[] {
  return embeddingCounts(db, backboneId).map((r) => r.view);
}

export function loadEmbeddingMatrix(db: Db, backboneId: number, view = 'plain'): EmbeddingMatrix {
  const rows = tuples<[number, Buffer]>(db, 'SELECT image_id, vector FROM embeddings WHERE backbone_id = ? AND view = ? ORDER BY image_id', backboneId, view);
  if (rows.length === 0) return { imageIds: [], dim: 0, data: new Float32Array(0) };
  const dim = rows[0][1].byteLength / 4;
  const data = new Float32Array(rows.length * dim);
  const bytes = new Uint8Array(data.buffer);
  const imageIds = new Array<number>(rows.length);
  rows.forEach(([id, blob], i) => {
    if (blob.byteLength !== dim * 4) throw new Error(`embedding of image ${id} (${view}) has ${blob.byteLength / 4} values, expected ${dim}`);
    imageIds[i] = id;
    bytes.set(blob, i * dim * 4);
  });
  return { imageIds, dim, data };
}

/** Vectors of the given images for one view, in the given order; an image without one is an error. */
export function loadEmbeddingsFor(db: Db, backboneId: number, view: string, imageIds: readonly number[]): { dim: number; data: Float32Array } {
  let dim = 0;
  let data = new Float32Array(0);
  imageIds.forEach((id, i) => {
    const blob = value<Buffer>(db, 'SELECT vector FROM embeddings WHERE backbone_id = ? AND view = ? AND image_id = ?', backboneId, view, id);
    if (!blob) throw new Error(`image ${id} has no '${view}' embedding for backbone ${backboneId}`);
    if (i === 0) {
      dim = blob.byteLength / 4;
      data = new Float32Array(imageIds.length * dim);
    } else if (blob.byteLength !== dim * 4) throw new Error(`embedding of image ${id} (${view}) has ${blob.byteLength / 4} values, expected ${dim}`);
    new Uint8Array(data.buffer, i * dim * 4, dim * 4).set(blob);
  });
  return { dim, data };
}

/** Deletes vectors and view specs of a backbone: all of them, or only the given views. */
export function deleteEmbeddings(db: Db, backboneId: number, views?: readonly string[]): number {
  return db
    .transaction(() => {
      if (views === undefined) {
        run(db, 'DELETE FROM view_specs WHERE backbone_id = ?', backboneId);
        return run(db, 'DELETE FROM embeddings WHERE backbone_id = ?', backboneId).changes;
      }
      let n = 0;
      for (const v of views) {
        run(db, 'DELETE FROM view_specs WHERE backbone_id = ? AND view = ?', backboneId, v);
        n += run(db, 'DELETE FROM embeddings WHERE backbone_id = ? AND view = ?', backboneId, v).changes;
      }
      return n;
    })
    .immediate();
}

export function getViewSpecs(db: Db, backboneId: number): ViewSpec[] {
  const rows = many<Omit<ViewSpec, 'params'> & { params: string }>(db, 'SELECT view, kind, seed, input_size, params FROM view_specs WHERE backbone_id = ?', backboneId);
  return rows.map((r) => ({ ...r, params: JSON.parse(r.params) as Record<string, unknown> })).sort((a, b) => compareViews(a.view, b.view));
}

/** The backbone's view specs as stored, one [view, kind, seed, input_size, params text] per view, by view. */
export function storedViewSpecs(db: Db, backboneId: number): Array<[string, string, number, number, string]> {
  return tuples<[string, string, number, number, string]>(
    db,
    'SELECT view, kind, seed, input_size, params FROM view_specs WHERE backbone_id = ? ORDER BY view',
    backboneId,
  );
}

/**
 * Per view, the ids of the images with a vector as one comma-separated list, by view: built by SQLite
 * from the (backbone_id, view) index, the vectors are not read.
 */
export function embeddedIdLists(db: Db, backboneId: number): Array<[string, string]> {
  return tuples<[string, string]>(
    db,
    `SELECT view, group_concat(image_id, ',' ORDER BY image_id) FROM embeddings WHERE backbone_id = ? GROUP BY view ORDER BY view`,
    backboneId,
  );
}

/** Whether an image has a vector for (backbone, view). */
export function hasEmbedding(db: Db, backboneId: number, view: string, imageId: number): boolean {
  return value(db, 'SELECT 1 FROM embeddings WHERE backbone_id = ? AND view = ? AND image_id = ?', backboneId, view, imageId) !== undefined;
}

/** An image's stored vector bytes for (backbone, view), or undefined without one. */
export function embeddingBlob(db: Db, backboneId: number, view: string, imageId: number): Buffer | undefined {
  return value<Buffer>(db, 'SELECT vector FROM embeddings WHERE backbone_id = ? AND view = ? AND image_id = ?', backboneId, view, imageId);
}

export function saveViewSpec(db: Db, backboneId: number, spec: ViewSpec): void {
  run(
    db,
    `INSERT INTO view_specs (backbone_id, view, kind, seed, input_size, params) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT(backbone_id, view) DO UPDATE SET kind = excluded.kind, seed = excluded.seed, input_size = excluded.input_size, params = excluded.params`,
    backboneId,
    spec.view,
    spec.kind,
    spec.seed,
    spec.inputSize,
    JSON.stringify(spec.params),
  );
}

/** The fixed views in the order an embed run plans them (FIXED_VIEWS in pipeline/embed/fixed-views.ts). */
const FIXED_VIEW_ORDER: readonly string[] = ['gray', 'flip', 'zoom', 'gray-zoom'];

/** plain < weak/0 < weak/1 < ... < strong/0 < ... < fixed/gray < fixed/flip < fixed/zoom < fixed/gray-zoom; other names last, alphabetically. */
export function compareViews(a: string, b: string): number {
  const rank = (v: string): [number, number, string] => {
    if (v === 'plain') return [0, 0, v];
    const m = /^(weak|strong)\/(\d+)$/.exec(v);
    if (m) return [m[1] === 'weak' ? 1 : 2, Number(m[2]), v];
    const f = v.startsWith('fixed/') ? FIXED_VIEW_ORDER.indexOf(v.slice(6)) : -1;
    if (f >= 0) return [3, f, v];
    return [4, 0, v];
  };
  const [ka, na, sa] = rank(a);
  const [kb, nb, sb] = rank(b);
  return ka - kb || na - nb || (sa < sb ? -1 : sa > sb ? 1 : 0);
}

export function vectorToBlob(v: Float32Array): Buffer {
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}
