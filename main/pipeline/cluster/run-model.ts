// The classifier a run leaves behind (table run_models), so images added later can be labelled
// without re-clustering. A SPICE run stores its SPICE-Semi classifier: the PCA projection of the
// embeddings and one MLP (dim-hidden-k). k-means runs store their centroids (run-kmeans.ts);
// predictWithRunModel answers for both.
import type { Db } from '../../db/connection.ts';
import { getRunModelRow, runModelKind, saveRunModelRow } from '../../db/run-models-repo.ts';
import { predictWithWeights, sliceHead, type MlpHeadsWeights } from '../../ml/mlp-infer.ts';
import { projectPca, type PcaBasis } from '../../ml/spice-linalg.ts';
import { initTfBackend } from '../../ml/tf-backend.ts';
import { predictKmeans } from './run-kmeans.ts';

export const SPICE_MODEL_KIND = 'spice-mlp';

export interface SpiceRunModel {
  /** Width of the embeddings the model reads (the backbone's output). */
  embeddingDim: number;
  /** Projection applied first; null when the MLP reads the embeddings as they are. */
  pca: PcaBasis | null;
  /** One head. */
  mlp: MlpHeadsWeights;
}

interface StoredSpec {
  embeddingDim: number;
  k: number;
  hidden: number;
  inputDim: number;
  /** Heads whose softmax outputs are averaged (absent in models stored before: 1). */
  heads?: number;
  pca: { outDim: number; explained: number } | null;
  /** Float32 arrays in `data`, in this order, with their lengths. */
  layout: Array<{ name: string; length: number }>;
}

export function saveRunModel(db: Db, runId: number, model: SpiceRunModel): void {
  const { mlp, pca } = model;
  if (pca && pca.inputDim !== model.embeddingDim) throw new Error(`PCA reads ${pca.inputDim}-d vectors, embeddings are ${model.embeddingDim}-d`);
  const expectedInput = pca ? pca.outDim : model.embeddingDim;
  if (mlp.spec.inputDim !== expectedInput) throw new Error(`MLP reads ${mlp.spec.inputDim}-d inputs, expected ${expectedInput}`);
  const parts: Array<[string, Float32Array]> = [];
  if (pca) parts.push(['pca.mean', pca.mean], ['pca.components', pca.components], ['pca.variances', pca.variances]);
  parts.push(['w1', mlp.w1], ['b1', mlp.b1], ['w2', mlp.w2], ['b2', mlp.b2]);
  const spec: StoredSpec = {
    embeddingDim: model.embeddingDim,
    k: mlp.spec.k,
    hidden: mlp.spec.hidden,
    inputDim: mlp.spec.inputDim,
    heads: mlp.spec.heads,
    pca: pca ? { outDim: pca.outDim, explained: pca.explained } : null,
    layout: parts.map(([name, a]) => ({ name, length: a.length })),
  };
  const total = parts.reduce((s, [, a]) => s + a.length, 0);
  const data = new Float32Array(total);
  let at = 0;
  for (const [, a] of parts) {
    data.set(a, at);
    at += a.length;
  }
  saveRunModelRow(db, runId, {
    kind: SPICE_MODEL_KIND,
    spec: JSON.stringify({ ...spec, activation: 'relu', output: 'softmax' }),
    data: Buffer.from(data.buffer, data.byteOffset, data.byteLength),
  });
}

/** Whether a run stored a classifier (SPICE-Self runs hand theirs to their SPICE run and store none). */
export function hasRunModel(db: Db, runId: number): boolean {
  return runModelKind(db, runId) !== undefined;
}

export function loadRunModel(db: Db, runId: number): SpiceRunModel {
  const row = getRunModelRow(db, runId);
  if (!row) throw new Error(`run ${runId} has no stored classifier`);
  if (row.kind !== SPICE_MODEL_KIND) throw new Error(`run ${runId} stores a '${row.kind}' model, not a SPICE classifier`);
  const spec = JSON.parse(row.spec) as StoredSpec;
  const copy = new Uint8Array(row.data.byteLength);
  copy.set(row.data);
  const all = new Float32Array(copy.buffer);
  const arrays = new Map<string, Float32Array>();
  let at = 0;
  for (const { name, length } of spec.layout) {
    if (at + length > all.length) throw new Error(`run ${runId}: stored classifier is truncated`);
    arrays.set(name, all.subarray(at, at + length));
    at += length;
  }
  const get = (name: string) => {
    const a = arrays.get(name);
    if (!a) throw new Error(`run ${runId}: stored classifier lacks '${name}'`);
    return a;
  };
  const pca: PcaBasis | null = spec.pca
    ? {
        inputDim: spec.embeddingDim,
        outDim: spec.pca.outDim,
        mean: get('pca.mean'),
        components: get('pca.components'),
        variances: get('pca.variances'),
        explained: spec.pca.explained,
      }
    : null;
  return {
    embeddingDim: spec.embeddingDim,
    pca,
    mlp: { spec: { inputDim: spec.inputDim, hidden: spec.hidden, k: spec.k, heads: spec.heads ?? 1 }, w1: get('w1'), b1: get('b1'), w2: get('w2'), b2: get('b2') },
  };
}

/**
 * Cluster probabilities (n x k) of new L2-normalised embeddings under a run's stored model: the
 * SPICE classifier (its PCA projects as the run's did, on TensorFlow.js), or a k-means run's centroids.
 */
export async function predictWithRunModel(db: Db, runId: number, data: Float32Array, n: number, dim: number): Promise<{ probs: Float32Array }> {
  const kind = runModelKind(db, runId);
  if (kind === undefined) throw new Error(`run ${runId} has no stored classifier`);
  if (kind !== SPICE_MODEL_KIND) return { probs: predictKmeans(db, runId, data, n, dim).probs };
  const model = loadRunModel(db, runId);
  if (dim !== model.embeddingDim) throw new Error(`run ${runId} was trained on ${model.embeddingDim}-d embeddings, got ${dim}-d vectors`);
  if (data.length !== n * dim) throw new Error(`data has ${data.length} values, expected ${n} x ${dim}`);
  if (model.pca) await initTfBackend();
  const input = model.pca ? projectPca(model.pca, data, n) : data;
  const heads = model.mlp.spec.heads;
  if (heads === 1) return { probs: predictWithWeights(model.mlp, input, n) };
  // Several heads (a consensus run): their outputs are numbered alike when stored; average them.
  const probs = new Float32Array(n * model.mlp.spec.k);
  for (let h = 0; h < heads; h++) {
    const p = predictWithWeights(sliceHead(model.mlp, h), input, n);
    for (let i = 0; i < probs.length; i++) probs[i] += p[i] / heads;
  }
  return { probs };
}
