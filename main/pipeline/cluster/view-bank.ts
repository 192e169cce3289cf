// A backbone's stored view bank, read one view at a time and projected through a run's PCA right away,
// so the full-width bank (9 views x n x 1,024 floats) is never held whole. Rows follow the plain view's
// images; a view vector that is missing (an image embedded after the bank was built) is the plain one.
import type { Db } from '../../db/connection.ts';
import { listViews, loadEmbeddingMatrix } from '../../db/embeddings-repo.ts';
import { pca as computePca, projectPca, type PcaBasis } from '../../ml/spice-linalg.ts';
import { createRng } from '../../base/random.ts';
import type { SemiBank } from './spice-bank.ts';

/**
 * The projection to apply: a stored one, a new one computed from the plain view (its start block drawn
 * from `random`, else from a generator seeded by `seed`), or none.
 */
export type Projection = { basis: PcaBasis } | { compute: { outDim: number; seed: number; random?: () => number } } | null;

export interface ProjectedViews {
  imageIds: number[];
  /** The projection applied (null: none). */
  pca: PcaBasis | null;
  /** Width of the projected vectors. */
  dim: number;
  /** The plain view at full width (L2-normalised), for neighbours and prototypes. */
  plainFull: Float32Array;
  fullDim: number;
  plain: Float32Array;
  weak: Array<{ name: string; data: Float32Array }>;
  strong: Array<{ name: string; data: Float32Array }>;
  fixed: Array<{ name: string; data: Float32Array }>;
  missingViewVectors: number;
  /** Seconds spent computing the projection (0 when stored or none). */
  pcaSeconds: number;
}

export function isBankView(view: string): boolean {
  return /^(weak|strong)\/\d+$/.test(view) || view.startsWith('fixed/');
}

export async function loadProjectedViews(
  db: Db,
  backboneId: number,
  projection: Projection,
  options: { signal?: AbortSignal; onView?: (done: number, total: number, name: string) => void } = {},
): Promise<ProjectedViews> {
  const plain = loadEmbeddingMatrix(db, backboneId, 'plain');
  const n = plain.imageIds.length;
  let pca: PcaBasis | null = null;
  let pcaSeconds = 0;
  if (projection && 'basis' in projection) pca = projection.basis;
  else if (projection && projection.compute.outDim < plain.dim) {
    const random = projection.compute.random ?? createRng(projection.compute.seed).next;
    const started = performance.now();
    pca = computePca(plain.data, n, plain.dim, Math.min(projection.compute.outDim, n - 1), random);
    pcaSeconds = (performance.now() - started) / 1000;
  }
  if (pca && pca.inputDim !== plain.dim) throw new Error(`the run's PCA reads ${pca.inputDim}-d vectors, the backbone's are ${plain.dim}-d`);
  const project = (x: Float32Array) => (pca ? projectPca(pca, x, n) : x);
  const row = new Map<number, number>();
  plain.imageIds.forEach((id, i) => row.set(id, i));
  const names = listViews(db, backboneId).filter(isBankView);
  const out: ProjectedViews = {
    imageIds: plain.imageIds,
    pca,
    dim: pca ? pca.outDim : plain.dim,
    plainFull: plain.data,
    fullDim: plain.dim,
    plain: project(plain.data),
    weak: [],
    strong: [],
    fixed: [],
    missingViewVectors: 0,
    pcaSeconds,
  };
  for (const [index, name] of names.entries()) {
    if (options.signal?.aborted) throw options.signal.reason instanceof Error ? options.signal.reason : new Error('aborted');
    const m = loadEmbeddingMatrix(db, backboneId, name);
    if (m.dim !== plain.dim) throw new Error(`view ${name} has ${m.dim}-d vectors, the plain view ${plain.dim}-d`);
    const aligned = Float32Array.from(plain.data);
    const seen = new Uint8Array(n);
    m.imageIds.forEach((id, j) => {
      const i = row.get(id);
      if (i === undefined) return;
      aligned.set(m.data.subarray(j * m.dim, (j + 1) * m.dim), i * plain.dim);
      seen[i] = 1;
    });
    for (const s of seen) if (!s) out.missingViewVectors++;
    const kind = name.slice(0, name.indexOf('/')) as 'weak' | 'strong' | 'fixed';
    out[kind].push({ name, data: project(aligned) });
    options.onView?.(index + 1, names.length, name);
    await new Promise((r) => setImmediate(r));
  }
  return out;
}

/** What SPICE-Semi (and refine) train on: fixed views stand in for weak ones, predictions average plain + fixed. */
export function semiBankOf(v: ProjectedViews): SemiBank {
  const fixed = v.fixed.map((f) => f.data);
  const weak = [v.plain, ...v.weak.map((w) => w.data), ...fixed];
  return {
    n: v.imageIds.length,
    dim: v.dim,
    weak,
    strong: v.strong.length ? v.strong.map((s) => s.data) : weak,
    predictionViews: [v.plain, ...fixed],
  };
}
