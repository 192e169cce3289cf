// The cosine k-NN graph of a backbone's plain view, computed once and kept in the project database
// (table knn_graphs): every SPICE run, refine and doubt score reads the same neighbours, and the plain
// vectors do not change between runs. A stored graph is reused when it was computed from the same
// images with at least as many neighbours; anything else recomputes it.
import type { Db } from '../../db/connection.ts';
import { getKnnGraph, saveKnnGraph } from '../../db/derived-repo.ts';
import { float32ToBlob, blobToFloat32 } from '../../db/runs-repo.ts';
import { knn, type KnnResult } from './knn.ts';
import { fnv1a32 } from '../../base/fnv1a.ts';

export interface KnnGraphOptions {
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

/** Which plain vectors a graph belongs to: the row order is the ascending image ids. */
export function graphSignature(imageIds: readonly number[]): string {
  return `${imageIds.length}:${imageIds[0] ?? 0}:${imageIds[imageIds.length - 1] ?? 0}:${fnv1a32(imageIds).toString(16)}`;
}

/**
 * The k nearest neighbours (k clipped to n - 1) of every row of `plain` (rows = `imageIds`, ascending),
 * from the store when it holds a graph of these images with at least k neighbours, else computed and
 * stored. A stored graph with more neighbours is cut to k.
 */
export async function plainKnnGraph(
  db: Db,
  backboneId: number,
  imageIds: readonly number[],
  plain: Float32Array,
  dim: number,
  k: number,
  options: KnnGraphOptions = {},
): Promise<KnnResult & { cached: boolean }> {
  const n = imageIds.length;
  const want = Math.min(k, n - 1);
  const signature = graphSignature(imageIds);
  const stored = readGraph(db, backboneId, signature, want);
  if (stored) return { ...stored, cached: true };
  const graph = await knn(plain, n, dim, want, options);
  saveKnnGraph(
    db,
    backboneId,
    { k: graph.k, signature, imageIds: int32ToBlob(Int32Array.from(imageIds)), indices: int32ToBlob(graph.indices), similarities: float32ToBlob(graph.sims) },
    Date.now(),
  );
  return { ...graph, cached: false };
}

function readGraph(db: Db, backboneId: number, signature: string, k: number): KnnResult | null {
  const row = getKnnGraph(db, backboneId);
  if (!row || row.signature !== signature || row.k < k) return null;
  const indices = blobToInt32(row.indices);
  const sims = blobToFloat32(row.similarities);
  if (row.k === k) return { indices, sims, k };
  const n = indices.length / row.k;
  const cutIdx = new Int32Array(n * k);
  const cutSims = new Float32Array(n * k);
  for (let i = 0; i < n; i++) {
    cutIdx.set(indices.subarray(i * row.k, i * row.k + k), i * k);
    cutSims.set(sims.subarray(i * row.k, i * row.k + k), i * k);
  }
  return { indices: cutIdx, sims: cutSims, k };
}

function int32ToBlob(v: Int32Array): Buffer {
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

function blobToInt32(b: Buffer): Int32Array {
  const copy = new Uint8Array(b.byteLength);
  copy.set(b);
  return new Int32Array(copy.buffer);
}
