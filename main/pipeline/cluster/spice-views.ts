// What SPICE's heads train on, made ready from a backbone's stored embeddings: the plain view, its PCA
// and the view bank projected one view at a time (view-bank.ts), the plain view's cosine k-NN graph,
// and the neighbours the views agree on (with fixed views; view-agreement.ts), as one SpiceBank.
import type { Db } from '../../db/connection.ts';
import type { JobContext } from '../../jobs/runner.ts';
import type { PcaBasis } from '../../ml/spice-linalg.ts';
import { ClusteringInputError } from './clustering-errors.ts';
import { knn, type KnnResult } from './knn.ts';
import { plainKnnGraph } from './knn-cache.ts';
import type { SpiceBank } from './spice-bank.ts';
import type { StageTimer } from './spice-report.ts';
import type { AgreementSettings, ResolvedSpiceSettings } from './spice-settings.ts';
import { loadProjectedViews } from './view-bank.ts';
import { agreedNeighbourLists, nearestNeighbourLists } from './view-agreement.ts';

export interface SpiceBankRequest {
  db: Db;
  backbone: { id: number; name: string };
  k: number;
  seed: number;
  settings: ResolvedSpiceSettings;
  /** The run's seeded generator: its first draws start the PCA. */
  random: () => number;
  ctx: JobContext;
  /** Records the stages 'load', 'pca', 'knn' and 'agreement'. */
  timer: StageTimer;
}

export interface LoadedSpiceBank {
  bank: SpiceBank;
  /** Rows of the bank, ascending. */
  imageIds: number[];
  /** Width of the stored embeddings. */
  embDim: number;
  /** The PCA the heads read through; null when pcaDim is 0. */
  pca: PcaBasis | null;
  /** View vectors missing from the bank (their plain vector stands in). */
  missingViewVectors: number;
}

/** Loads and projects the views, finds the neighbours, and assembles the bank; logs what it found. */
export async function loadSpiceBank(req: SpiceBankRequest): Promise<LoadedSpiceBank> {
  const { db, backbone, k, seed, settings, ctx, timer } = req;
  const loaded = await timer.timed('load', () => {
    ctx.stage('load embeddings and project them', null, 'views');
    const projection = settings.pcaDim > 0 ? { compute: { outDim: settings.pcaDim, seed, random: req.random } } : null;
    return loadProjectedViews(db, backbone.id, projection, { signal: ctx.signal, onView: (done, _total, name) => ctx.progress(done, `view ${name}`) });
  });
  const { imageIds, fullDim: embDim, plainFull: plain, pca: projection, missingViewVectors: missingViews } = loaded;
  timer.record('pca', loaded.pcaSeconds);
  const bankNames = [...loaded.weak, ...loaded.strong, ...loaded.fixed].map((v) => v.name);
  const n = imageIds.length;
  if (n < 2 * k) throw new ClusteringInputError(`SPICE with k=${k} needs at least ${2 * k} images, got ${n}`);
  ctx.log(
    `${n} images x ${embDim} (${backbone.name}); views: ${['plain', ...bankNames].join(', ')}${projection ? `, projected to ${projection.outDim} dimensions` : ''}`,
  );
  if (loaded.strong.length === 0) {
    ctx.log('no strong views in the bank (embed with --strong N): SPICE uses the weak/plain views in their place, which weakens it', 'warn');
  }
  if (missingViews > 0) ctx.log(`${missingViews} view vectors are missing (images embedded after the bank was built); their plain vector stands in`, 'warn');
  ctx.throwIfCancelled();

  const neighbourCount = Math.min(n - 1, Math.max(settings.reliable.neighbours, settings.self.neighbourK, settings.doubtNeighbours));
  const graph = await timer.timed('knn', () => {
    ctx.stage('k-nearest neighbours', n, 'images');
    return plainKnnGraph(db, backbone.id, imageIds, plain, embDim, neighbourCount, { signal: ctx.signal, onProgress: (done) => ctx.progress(done) });
  });
  if (graph.cached) ctx.log(`k-nearest neighbours: the stored graph of these ${n} images was reused`);
  ctx.throwIfCancelled();

  const ofKind = (kind: 'weak' | 'strong') => loaded[kind];
  const weak = [loaded.plain, ...ofKind('weak').map((v) => v.data)];
  const strongList = ofKind('strong').map((v) => v.data);
  const fixed = loaded.fixed;
  const dim = projection ? projection.outDim : embDim;
  const consistency = fixed.length
    ? await timer.timed('agreement', () => {
        ctx.stage('neighbours the views agree on', fixed.length + 1, 'views');
        return agreedNeighbours({ plainProjected: weak[0], fixed, n, dim, plainGraph: graph, settings: settings.agreement, ctx });
      })
    : { views: weak, names: ['plain', ...ofKind('weak').map((v) => v.name)], lists: nearestNeighbourLists(graph, n, settings.self.neighbourK) };
  const bank: SpiceBank = {
    n,
    dim,
    plain: weak[0],
    // Fixed views keep the image as it is, so SPICE-Semi may use them wherever it takes a weak view.
    weak: [...weak, ...fixed.map((f) => f.data)],
    strong: strongList.length ? strongList : weak,
    weakNames: ['plain', ...ofKind('weak').map((v) => v.name), ...fixed.map((f) => f.name)],
    strongNames: strongList.length ? ofKind('strong').map((v) => v.name) : ['(weak views)'],
    embeddings: plain,
    embDim,
    knn: graph,
    consistencyViews: consistency.views,
    consistencyViewNames: consistency.names,
    neighbours: consistency.lists,
    predictionViews: [weak[0], ...fixed.map((f) => f.data)],
  };
  if (projection) ctx.log(`PCA ${embDim} -> ${projection.outDim} keeps ${(projection.explained * 100).toFixed(1)}% of the variance`);
  return { bank, imageIds, embDim, pca: projection, missingViewVectors: missingViews };
}

interface AgreementRequest {
  /** The plain view, projected (n x dim). */
  plainProjected: Float32Array;
  fixed: Array<{ name: string; data: Float32Array }>;
  n: number;
  dim: number;
  /** The plain view's full-width graph, for images with too few agreed neighbours. */
  plainGraph: KnnResult;
  settings: AgreementSettings;
  ctx: JobContext;
}

/**
 * The consistency term's views (plain + fixed) and the neighbours they agree on: each view's cosine k-NN
 * on its projected, re-normalised vectors (the k-NN of a 128-d projection costs an eighth of the
 * full-width one), then view-agreement.ts.
 */
async function agreedNeighbours({ plainProjected, fixed, n, dim, plainGraph, settings, ctx }: AgreementRequest) {
  const views = [plainProjected, ...fixed.map((f) => f.data)];
  const graphs: KnnResult[] = [];
  for (const v of views) {
    ctx.throwIfCancelled();
    graphs.push(await knn(normalisedRows(v, n, dim), n, dim, settings.perViewK, { signal: ctx.signal }));
    ctx.progress(graphs.length);
  }
  const minAgree = Math.min(settings.minAgree, views.length);
  const { lists, stats } = agreedNeighbourLists(graphs, plainGraph, n, { ...settings, minAgree });
  ctx.log(
    `consistency neighbours: pairs among each other's ${settings.perViewK} nearest in >= ${minAgree} of ${views.length} views (plain, ${fixed.map((f) => f.name).join(', ')}): ` +
      `${stats.meanNeighbours.toFixed(1)} per image; ${stats.fallbackImages} images had fewer than ${settings.minNeighbours} and got their ${settings.fallbackK} nearest plain-view neighbours`,
  );
  return { views, names: ['plain', ...fixed.map((f) => f.name)], lists };
}

function normalisedRows(data: Float32Array, n: number, dim: number): Float32Array {
  const out = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let d = 0; d < dim; d++) s += data[i * dim + d] ** 2;
    const f = 1 / (Math.sqrt(s) || 1);
    for (let d = 0; d < dim; d++) out[i * dim + d] = data[i * dim + d] * f;
  }
  return out;
}
