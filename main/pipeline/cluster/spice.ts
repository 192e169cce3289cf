// SPICE on a backbone's stored embeddings, as one cancellable 'cluster' job:
//   load the plain view, its PCA, and the view bank projected one view at a time (view-bank.ts) ->
//   cosine k-NN -> the neighbours the views agree on (with fixed views) -> SPICE-Self (10 heads; their
//   consensus numbered as the lowest-loss head; stored as a 'spice-self' run) -> reliable samples
//   (relaxed in the open when a cluster has none) -> SPICE-Semi (FixMatch classifier; off by default) ->
//   doubt -> the 'spice' run with assignments, report, timings and its classifier (run-model.ts). The
//   defaults and why they differ from the reference: docs/spice.md.
import type { Project } from '../../project/project.ts';
import { JobCancelledError, type JobContext } from '../../jobs/runner.ts';
import type { MlpHeadsWeights } from '../../ml/mlp-infer.ts';
import { initTfBackend } from '../../ml/tf-backend.ts';
import { chooseEmbeddedBackbone } from './backbone-choice.ts';
import { argmaxLabels, doubtScores } from './doubt.ts';
import { ClusteringInputError } from './errors.ts';
import { knn, type KnnResult } from './knn.ts';
import { plainKnnGraph } from './knn-cache.ts';
import { createRng, DEFAULT_SEED } from '../../base/random.ts';
import { DEFAULT_RELAX_SCHEDULE, selectReliable, type ReliableOptions, type ReliableResult } from './reliable.ts';
import { carryOverClusterNames, describeCarryOver } from './name-carryover.ts';
import { spiceHealth } from './spice-health.ts';
import { saveRunModel } from './run-model.ts';
import { createRun, finishRun, markStaleRuns, saveAssignments, type Assignment } from '../../db/runs-repo.ts';
import type { SpiceBank } from './spice-bank.ts';
import { loadProjectedViews } from './view-bank.ts';
import { agreedNeighbourLists, nearestNeighbourLists, type AgreementOptions } from './view-agreement.ts';
import { alignHeadOutputs, headConsensus, trainSpiceSelf, type SpiceSelfOptions, type SpiceSelfResult } from './spice-self.ts';
import { reliableGroup, trainSpiceSemi, type SpiceSemiOptions, type SpiceSemiResult } from './spice-semi.ts';

export interface SpiceOptions {
  /** Backbone name or weights path; default: the newest backbone with embeddings. */
  backbone?: string;
  k: number;
  seed?: number;
  signal?: AbortSignal;
  /** A small, fast configuration for trying things out. */
  quick?: boolean;
  /** SPICE-Self epochs. */
  epochs?: number;
  /** SPICE-Self heads. */
  heads?: number;
  /** SPICE-Self images per step. */
  batchSize?: number;
  /** SPICE-Semi length in passes over all images as unlabelled data; 0 skips SPICE-Semi. */
  semiEpochs?: number;
  /** Width of the PCA projection the heads read; 0 = the embeddings as they are. */
  pcaDim?: number;
  /** Finer overrides of each stage. */
  self?: Partial<Omit<SpiceSelfOptions, 'seed'>>;
  reliable?: Partial<Omit<ReliableOptions, 'seed'>>;
  semi?: Partial<SemiSettings>;
  /** How the views' agreed neighbours are found when the bank has fixed views. */
  agreement?: Partial<AgreementSettings>;
  /** Neighbours of the doubt score. */
  doubtNeighbours?: number;
  /**
   * What SPICE-Self hands on: 'lowest-loss' (the reference: the selected head's clusters) or
   * 'consensus' (every head renumbered onto the selected one and averaged).
   */
  selfOutput?: 'lowest-loss' | 'consensus';
}


/** SPICE-Semi settings; warmStart: the classifier starts as the selected SPICE-Self head. */
export type SemiSettings = Omit<SpiceSemiOptions, 'seed' | 'steps'> & { warmStart: boolean };

/** Agreed neighbours (view-agreement.ts): each view's `perViewK` nearest, kept where `minAgree` views agree. */
export type AgreementSettings = AgreementOptions & { perViewK: number };

/** Defaults (docs/spice.md gives the measurement behind each change from the reference). */
export const SPICE_DEFAULTS = {
  pcaDim: 128,
  self: {
    heads: 10,
    hidden: 128,
    epochs: 100,
    batchSize: 500,
    lr: 0.001,
    prototypeWeight: 0,
    neighbourWeight: 1,
    entropyWeight: 5,
    neighbourK: 20,
    prototypeRatio: 0.5,
    repeat: 1,
    minSteps: 600,
  } satisfies Omit<SpiceSelfOptions, 'seed'>,
  reliable: {
    neighbours: 100,
    consistency: 0.7,
    confidence: 0.9,
    minPerCluster: 10,
    relaxSchedule: DEFAULT_RELAX_SCHEDULE,
    balance: 'none',
  } satisfies Omit<ReliableOptions, 'seed'>,
  agreement: { perViewK: 50, minAgree: 3, minNeighbours: 3, fallbackK: 5 } satisfies AgreementSettings,
  semiEpochs: 0,
  semi: {
    hidden: 256,
    labeledBatch: 64,
    unlabeledRatio: 7,
    threshold: 0.95,
    unlabeledWeight: 1,
    lr: 0.001,
    emaDecay: 0.999,
    balancedLabels: true,
    entropyWeight: 5,
    unlabeledView: 'strong',
    warmStart: true,
  } satisfies SemiSettings,
  doubtNeighbours: 20,
  selfOutput: 'consensus',
} as const;

// Quick: fewer heads and epochs, nothing else (SPICE-Semi stays as configured, off by default).
const QUICK = { heads: 3, epochs: 8 };
/** SPICE-Semi runs at least this many steps, however few the images. */
const SEMI_MIN_STEPS = 200;

/** The settings a run uses, all resolved (stored in the run's params). */
export interface ResolvedSpiceSettings {
  pcaDim: number;
  self: Omit<SpiceSelfOptions, 'seed'>;
  reliable: Omit<ReliableOptions, 'seed'>;
  agreement: AgreementSettings;
  semiEpochs: number;
  semi: SemiSettings;
  doubtNeighbours: number;
  selfOutput: 'lowest-loss' | 'consensus';
}

export function resolveSpiceSettings(options: Omit<SpiceOptions, 'backbone' | 'k' | 'seed' | 'signal'>): ResolvedSpiceSettings {
  const quick = options.quick ? QUICK : null;
  const self = {
    ...SPICE_DEFAULTS.self,
    ...(quick ? { heads: quick.heads, epochs: quick.epochs } : {}),
    ...options.self,
    ...defined({ heads: options.heads, epochs: options.epochs, batchSize: options.batchSize }),
  };
  const settings: ResolvedSpiceSettings = {
    pcaDim: options.pcaDim ?? SPICE_DEFAULTS.pcaDim,
    self,
    reliable: { ...SPICE_DEFAULTS.reliable, ...options.reliable },
    agreement: { ...SPICE_DEFAULTS.agreement, ...options.agreement },
    semiEpochs: options.semiEpochs ?? SPICE_DEFAULTS.semiEpochs,
    semi: { ...SPICE_DEFAULTS.semi, ...options.semi },
    doubtNeighbours: options.doubtNeighbours ?? SPICE_DEFAULTS.doubtNeighbours,
    selfOutput: options.selfOutput ?? SPICE_DEFAULTS.selfOutput,
  };
  checkSettings(settings);
  return settings;
}

/** Runs SPICE and stores the result (method 'spice'; the SPICE-Self result as its own 'spice-self' run). Returns the 'spice' run id. */
export async function runSpice(project: Project, options: SpiceOptions): Promise<number> {
  const backbone = chooseEmbeddedBackbone(project.db, options.backbone);
  const k = options.k;
  const seed = options.seed ?? DEFAULT_SEED;
  if (!Number.isInteger(k) || k < 2) throw new ClusteringInputError(`k must be an integer of at least 2, got ${k}`);
  if (!Number.isInteger(seed)) throw new ClusteringInputError(`seed must be an integer, got ${seed}`);
  if (backbone.embedded < 2 * k) throw new ClusteringInputError(`SPICE with k=${k} needs at least ${2 * k} embedded images; ${backbone.name} has ${backbone.embedded}`);
  const { backbone: _b, k: _k, seed: _s, signal, ...rest } = options;
  let settings: ResolvedSpiceSettings;
  try {
    settings = resolveSpiceSettings(rest);
  } catch (err) {
    throw new ClusteringInputError((err as Error).message);
  }
  const params = { method: 'spice', backboneId: backbone.id, k, seed, settings };
  return project.jobs.run('cluster', params, (ctx) => spiceJob(project, ctx, backbone, k, seed, settings), signal);
}

async function spiceJob(project: Project, ctx: JobContext, backbone: { id: number; name: string }, k: number, seed: number, settings: ResolvedSpiceSettings): Promise<number> {
  const db = project.db;
  markStaleRuns(db);
  const runId = createRun(db, { method: 'spice', backboneId: backbone.id, k, seed, params: { ...settings }, jobId: ctx.jobId });
  let selfRunId: number | null = null;
  const timings: Record<string, number> = {};
  const timed = async <T>(name: string, f: () => Promise<T> | T): Promise<T> => {
    const t = performance.now();
    const out = await f();
    timings[name] = round((performance.now() - t) / 1000, 2);
    return out;
  };
  const startedAt = performance.now();
  try {
    const tfInfo = await initTfBackend();
    ctx.log(`SPICE on ${tfInfo.description}`);

    // The seeded generator's first draws start the PCA, as before the bank was projected view by view.
    const rng = createRng(seed);
    const loaded = await timed('load', () => {
      ctx.stage('load embeddings and project them', null, 'views');
      const projection = settings.pcaDim > 0 ? { compute: { outDim: settings.pcaDim, seed, random: rng.next } } : null;
      return loadProjectedViews(db, backbone.id, projection, { signal: ctx.signal, onView: (done, _total, name) => ctx.progress(done, `view ${name}`) });
    });
    const { imageIds, fullDim: embDim, plainFull: plain, pca: projection, missingViewVectors: missingViews } = loaded;
    timings.pca = round(loaded.pcaSeconds, 2);
    const bankNames = [...loaded.weak, ...loaded.strong, ...loaded.fixed].map((v) => v.name);
    const n = imageIds.length;
    if (n < 2 * k) throw new ClusteringInputError(`SPICE with k=${k} needs at least ${2 * k} images, got ${n}`);
    ctx.log(`${n} images x ${embDim} (${backbone.name}); views: ${['plain', ...bankNames].join(', ')}${projection ? `, projected to ${projection.outDim} dimensions` : ''}`);
    if (loaded.strong.length === 0) {
      ctx.log('no strong views in the bank (embed with --strong N): SPICE uses the weak/plain views in their place, which weakens it', 'warn');
    }
    if (missingViews > 0) ctx.log(`${missingViews} view vectors are missing (images embedded after the bank was built); their plain vector stands in`, 'warn');
    ctx.throwIfCancelled();

    const neighbourCount = Math.min(n - 1, Math.max(settings.reliable.neighbours, settings.self.neighbourK, settings.doubtNeighbours));
    const graph = await timed('knn', () => {
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
      ? await timed('agreement', () => {
          ctx.stage('neighbours the views agree on', fixed.length + 1, 'views');
          return agreedNeighbours(weak[0], fixed, n, dim, graph, settings.agreement, ctx);
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

    // ---- SPICE-Self
    const selfOptions: SpiceSelfOptions = { ...settings.self, seed: rng.int(2 ** 31) };
    const self = await timed('self', () => {
      ctx.stage('SPICE-Self', selfOptions.epochs, 'epochs');
      return trainSpiceSelf(bank, k, selfOptions, {
        signal: ctx.signal,
        onEpoch: (epoch, epochs, losses) => {
          const best = Math.min(...losses);
          if (epoch === 0 && epochs !== selfOptions.epochs) ctx.stage('SPICE-Self', epochs, 'epochs');
          ctx.progress(epoch + 1, `epoch ${epoch + 1}/${epochs}, lowest head loss ${best.toFixed(4)}`);
        },
      });
    });
    let selfModel: MlpHeadsWeights = self.weights;
    ctx.log(`SPICE-Self: head ${self.selectedHead} has the lowest loss (${self.headLosses.map((l) => l.toFixed(4)).join(', ')})`);
    if (settings.selfOutput === 'consensus') {
      const consensus = headConsensus(self.allProbs, self.headLosses.length, n, k, self.selectedHead);
      self.probs = consensus.probs;
      // The stored classifier is then all heads, renumbered alike and averaged, so `classify` agrees with the run.
      selfModel = alignHeadOutputs(self.allWeights, consensus.rowToCol);
      ctx.log(`SPICE-Self: the consensus of all ${self.headLosses.length} heads (numbered as head ${self.selectedHead}) is handed on`);
    }
    const selfLabels = argmaxLabels(self.probs, n, k);

    // ---- reliable samples
    const reliable = await timed('reliable', () => {
      ctx.stage('reliable samples', null, 'images');
      const confidence = new Float32Array(n);
      for (let i = 0; i < n; i++) confidence[i] = self.probs[i * k + selfLabels[i]];
      return selectReliable(selfLabels, confidence, graph, k, { ...settings.reliable, seed });
    });
    for (const c of reliable.emptyAtDefault) {
      ctx.log(`cluster ${c} has no reliable sample at consistency >= ${settings.reliable.consistency} and confidence > ${settings.reliable.confidence}`, 'warn');
    }
    for (const r of reliable.relaxations) ctx.log(`reliable samples: ${r.message}`, 'warn');
    ctx.log(`reliable samples: ${reliable.total} (${reliable.perCluster.map((p) => p.selected).join(' / ')} per cluster)`);

    const selfTimings = Object.fromEntries(['load', 'knn', 'pca', 'agreement', 'self', 'reliable'].filter((s) => s in timings).map((s) => [s, timings[s]]));
    selfRunId = await timed('save-self', () => saveSelfRun(project, ctx, backbone.id, k, seed, settings, imageIds, self, selfLabels, reliable, graph, runId, selfTimings));

    // ---- SPICE-Semi
    let semi: SpiceSemiResult | null = null;
    let semiSteps = 0;
    if (settings.semiEpochs > 0) {
      semiSteps = Math.max(SEMI_MIN_STEPS, Math.ceil((settings.semiEpochs * n) / (settings.semi.labeledBatch * settings.semi.unlabeledRatio)));
      const { warmStart, ...semiRest } = settings.semi;
      // A warm start keeps the SPICE-Self head's width.
      const semiOptions: SpiceSemiOptions = { ...semiRest, hidden: warmStart ? settings.self.hidden : semiRest.hidden, steps: semiSteps, seed: rng.int(2 ** 31) };
      semi = await timed('semi', () => {
        ctx.stage('SPICE-Semi', semiSteps, 'steps');
        return trainSpiceSemi(bank, k, [reliableGroup(selfLabels, reliable.reliable)], semiOptions, {
          signal: ctx.signal,
          onStep: (step, steps, s) => ctx.progress(step, `step ${step}/${steps}, loss ${s.loss.toFixed(3)}, ${(s.maskRate * 100).toFixed(0)}% of unlabelled views above the threshold`),
        }, warmStart ? self.weights : undefined);
      });
    } else ctx.log('SPICE-Semi skipped (semiEpochs = 0): the SPICE-Self result is final');
    ctx.throwIfCancelled();

    // ---- final assignments
    const t = performance.now();
    ctx.stage('save', n, 'images');
    const probs = semi ? semi.probs : self.probs;
    const labels = semi ? argmaxLabels(probs, n, k) : selfLabels;
    const doubt = doubtScores(labels, probs, k, graph, { neighbours: settings.doubtNeighbours });
    const rows: Assignment[] = imageIds.map((imageId, i) => ({
      imageId,
      cluster: labels[i],
      confidence: doubt.confidence[i],
      doubt: doubt.doubt[i],
      reliable: reliable.reliable[i] === 1,
      probs: probs.subarray(i * k, (i + 1) * k),
    }));
    saveAssignments(db, runId, rows);
    const model: MlpHeadsWeights = semi ? semi.weights : selfModel;
    saveRunModel(db, runId, { embeddingDim: embDim, pca: projection, mlp: model });
    ctx.progress(n);
    timings.save = round((performance.now() - t) / 1000, 2);
    timings.total = round((performance.now() - startedAt) / 1000, 2);

    const sizes = clusterSizes(labels, k);
    const agreedNeighboursPerImage = bank.neighbours.indices.length / n;
    const health = spiceHealth({ n, k, reliableAtDefault: reliable.perCluster.map((c) => c.atDefault), clusterSizes: sizes, agreedNeighboursPerImage });
    if (!health.learned) ctx.log(`SPICE: ${health.notes.join('; ')}`, 'warn');
    finishRun(db, runId, {
      state: 'done',
      report: {
        backbone: backbone.name,
        backend: tfInfo.description,
        n,
        embeddingDim: embDim,
        views: { weak: bank.weakNames, strong: bank.strongNames, consistency: bank.consistencyViewNames, missingViewVectors: missingViews },
        neighbours: { meanPerImage: round(agreedNeighboursPerImage, 2) },
        pca: projection ? { dim: projection.outDim, explained: round(projection.explained, 4) } : null,
        spiceSelfRun: selfRunId,
        self: selfReport(self, settings.selfOutput),
        reliable: reliableReport(reliable),
        semi: semi
          ? { steps: semiSteps, labeled: semi.labeled, warmStart: settings.semi.warmStart, finalLoss: round(semi.finalLoss, 4), finalMaskRate: round(semi.finalMaskRate, 4) }
          : null,
        changedBySemi: semi ? countChanged(selfLabels, labels) : 0,
        clusterSizes: sizes,
        meanDoubt: round(mean(doubt.doubt), 4),
        health,
      },
      timings,
    });
    ctx.log(`SPICE: run ${runId} done in ${timings.total}s; cluster sizes ${sizes.join(' ')}`);
    ctx.log(describeCarryOver(carryOverClusterNames(db, runId)));
    return runId;
  } catch (err) {
    const cancelled = err instanceof JobCancelledError || ctx.signal.aborted;
    const state = cancelled ? 'cancelled' : 'failed';
    const report = { error: err instanceof Error ? err.message : String(err) };
    finishRun(db, runId, { state, report, timings });
    if (selfRunId !== null && cancelled) ctx.log(`the SPICE-Self run ${selfRunId} was kept; the SPICE run ${runId} was cancelled`);
    if (cancelled && !(err instanceof JobCancelledError)) throw new JobCancelledError();
    throw err;
  }
}

/**
 * The consistency term's views (plain + fixed) and the neighbours they agree on: each view's cosine k-NN
 * on its projected, re-normalised vectors (the k-NN of a 128-d projection costs an eighth of the
 * full-width one), then view-agreement.ts.
 */
async function agreedNeighbours(
  plainProjected: Float32Array,
  fixed: Array<{ name: string; data: Float32Array }>,
  n: number,
  dim: number,
  plainGraph: KnnResult,
  settings: AgreementSettings,
  ctx: JobContext,
) {
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

function saveSelfRun(
  project: Project,
  ctx: JobContext,
  backboneId: number,
  k: number,
  seed: number,
  settings: ResolvedSpiceSettings,
  imageIds: number[],
  self: SpiceSelfResult,
  labels: Int32Array,
  reliable: ReliableResult,
  graph: { indices: Int32Array; k: number },
  spiceRunId: number,
  selfTimings: Record<string, number>,
): number {
  const db = project.db;
  const id = createRun(db, {
    method: 'spice-self',
    backboneId,
    k,
    seed,
    params: { pcaDim: settings.pcaDim, self: settings.self, output: settings.selfOutput, reliable: settings.reliable },
    jobId: ctx.jobId,
  });
  const doubt = doubtScores(labels, self.probs, k, graph, { neighbours: settings.doubtNeighbours });
  saveAssignments(
    db,
    id,
    imageIds.map((imageId, i) => ({
      imageId,
      cluster: labels[i],
      confidence: doubt.confidence[i],
      doubt: doubt.doubt[i],
      reliable: reliable.reliable[i] === 1,
      probs: self.probs.subarray(i * k, (i + 1) * k),
    })),
  );
  finishRun(db, id, {
    state: 'done',
    report: {
      ...selfReport(self, settings.selfOutput),
      reliable: reliableReport(reliable),
      clusterSizes: clusterSizes(labels, k),
      spiceRun: spiceRunId,
    },
    timings: selfTimings,
  });
  return id;
}

function selfReport(self: SpiceSelfResult, output: ResolvedSpiceSettings['selfOutput']) {
  return {
    heads: self.headLosses.length,
    selectedHead: self.selectedHead,
    selection: 'lowest loss over the last epoch',
    output,
    headLosses: self.headLosses.map((l) => round(l, 5)),
    headClusterSizes: self.headSizes,
    steps: self.steps,
    epochs: self.epochs,
    batchSize: self.batchSize,
  };
}

function reliableReport(r: ReliableResult) {
  return {
    total: r.total,
    perCluster: r.perCluster,
    emptyAtDefault: r.emptyAtDefault,
    relaxations: r.relaxations,
    downsampledTo: r.downsampledTo,
  };
}

function clusterSizes(labels: Int32Array, k: number): number[] {
  const s = new Array<number>(k).fill(0);
  for (const l of labels) s[l]++;
  return s;
}

function countChanged(a: Int32Array, b: Int32Array): number {
  let c = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) c++;
  return c;
}

function mean(a: Float32Array): number {
  let s = 0;
  for (const v of a) s += v;
  return a.length ? s / a.length : 0;
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

function defined<T extends Record<string, unknown>>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function checkSettings(s: ResolvedSpiceSettings): void {
  const posInt = (name: string, v: number) => {
    if (!Number.isInteger(v) || v < 1) throw new Error(`${name} must be a positive integer, got ${v}`);
  };
  posInt('heads', s.self.heads);
  posInt('epochs', s.self.epochs);
  posInt('batchSize', s.self.batchSize);
  posInt('hidden', s.self.hidden);
  posInt('neighbourK', s.self.neighbourK);
  posInt('repeat', s.self.repeat);
  posInt('agreement.perViewK', s.agreement.perViewK);
  posInt('agreement.minAgree', s.agreement.minAgree);
  posInt('agreement.fallbackK', s.agreement.fallbackK);
  if (!Number.isInteger(s.agreement.minNeighbours) || s.agreement.minNeighbours < 0) throw new Error(`agreement.minNeighbours must be 0 or more, got ${s.agreement.minNeighbours}`);
  if (!Number.isInteger(s.self.minSteps) || s.self.minSteps < 0) throw new Error(`minSteps must be 0 or more, got ${s.self.minSteps}`);
  posInt('reliable.neighbours', s.reliable.neighbours);
  posInt('semi.labeledBatch', s.semi.labeledBatch);
  posInt('semi.unlabeledRatio', s.semi.unlabeledRatio);
  if (!(s.self.lr > 0) || !(s.semi.lr > 0)) throw new Error('learning rates must be positive');
  if (!Number.isInteger(s.pcaDim) || s.pcaDim < 0) throw new Error(`pcaDim must be 0 (off) or a positive integer, got ${s.pcaDim}`);
  if (!(s.semiEpochs >= 0) || !Number.isFinite(s.semiEpochs)) throw new Error(`semiEpochs must be 0 or more, got ${s.semiEpochs}`);
  if (s.self.prototypeWeight <= 0 && s.self.neighbourWeight <= 0) throw new Error('SPICE-Self needs a prototype or a neighbour loss');
  if (s.selfOutput !== 'lowest-loss' && s.selfOutput !== 'consensus') throw new Error(`selfOutput must be 'lowest-loss' or 'consensus', got ${s.selfOutput}`);
  if (!(s.reliable.consistency >= 0 && s.reliable.consistency <= 1)) throw new Error('reliable.consistency must be in [0, 1]');
  if (!(s.reliable.confidence >= 0 && s.reliable.confidence < 1)) throw new Error('reliable.confidence must be in [0, 1)');
  if (!(s.semi.emaDecay >= 0 && s.semi.emaDecay < 1)) throw new Error('semi.emaDecay must be in [0, 1)');
}
