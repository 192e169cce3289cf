// Refine: the model learns from the person's labels. SPICE's own second stage (SPICE-Semi, FixMatch on
// the frozen view bank) with the person's labels as the labelled set, the earlier run's reliable samples
// as a second, down-weighted labelled group, and every image as unlabelled data. It starts from the
// earlier run's classifier (its PCA and its selected head), so it is short: a refine of 10,000 images is
// meant to take well under a minute on two cores. Its predictions are then joined with two readings of
// the person's labels alone: a linear classifier on the full embedding, and a vote of the labelled
// nearest neighbours (docs/labelling.md has the measurements behind both).
//
// Outputs: one per class the person uses (named clusters of the earlier run, and classes that exist only
// in person labels, whose outputs start from the mean hidden activation of their labelled images), then
// one per unnamed, non-empty cluster of the earlier run (kept as extra classes, still unnamed). The
// result is a 'refine' run whose cluster j is output j, named after its class; every image gets a new
// prediction, confidence, doubt and reliable flag. Person labels are read, never written.
import type { Project } from '../../project/project.ts';
import type { Db } from '../../db/connection.ts';
import type { JobContext } from '../../jobs/runner.ts';
import { hiddenActivations, sliceHead, type MlpHeadsWeights } from '../../ml/mlp-infer.ts';
import { initTfBackend } from '../../ml/tf-backend.ts';
import { argmaxLabels, doubtScores } from '../cluster/doubt.ts';
import { assignmentRows } from '../cluster/assignment-rows.ts';
import { ClusteringInputError } from '../cluster/clustering-errors.ts';
import { plainKnnGraph } from '../cluster/knn-cache.ts';
import { setClusterNames } from '../cluster/cluster-names.ts';
import { selectReliable } from '../cluster/reliable.ts';
import { loadRunModel, saveRunModel, SPICE_MODEL_KIND } from '../cluster/run-model.ts';
import { defaultRun } from '../cluster/default-run.ts';
import { embeddingStamp } from '../../db/embeddings-repo.ts';
import { countClassLabels, listPersonLabelRows, namedClusters, personLabelClasses } from '../../db/labels-repo.ts';
import { runModelKind } from '../../db/run-models-repo.ts';
import { clusterSizes, createRun, finishRun, getRun, loadAssignmentColumns, markStaleRuns, saveAssignments, type RunRecord } from '../../db/runs-repo.ts';
import { recordStoppedRun } from '../cluster/stopped-run.ts';
import { SPICE_DEFAULTS } from '../cluster/spice-settings.ts';
import { trainSpiceSemi, type LabelledGroup, type SpiceSemiOptions } from '../cluster/spice-semi.ts';
import { nearestNeighbourLists } from '../cluster/view-agreement.ts';
import { loadProjectedViews, semiBankOf, type ProjectedViews, type Projection } from '../cluster/view-bank.ts';
import { labelProbeProbs } from './label-probe.ts';
import { blendNeighbourVotes } from './neighbour-votes.ts';

export const REFINE_DEFAULTS = {
  steps: 400,
  labeledBatch: 64,
  unlabeledRatio: 7,
  threshold: 0.95,
  unlabeledWeight: 1,
  lr: 0.003,
  emaDecay: 0.99,
  entropyWeight: 1,
  /** Share of each labelled batch drawn from the person's labels (the rest: the earlier run's reliable samples). */
  personShare: 0.5,
  /** Loss weight of the earlier run's reliable samples (the person's labels weigh 1). */
  reliableWeight: 0.5,
  /** A k-means run has no reliable samples: its most confident members stand in, this share of each cluster. */
  kmeansReliableShare: 0.1,
  /** Neighbour consistency on the plain view's nearest neighbours (0 = off), over this many neighbours. */
  neighbourWeight: 0,
  neighbourK: 20,
  /** What the balance term pulls the class shares towards: 'uniform', or the earlier run's shares ('base'). */
  prior: 'uniform' as 'uniform' | 'base',
  /** Weight of the person labels among an image's nearest neighbours in its final prediction (0 = off; docs/labelling.md). */
  neighbourVoteWeight: 1,
  neighbourVoteK: 10,
  /** Share of the final prediction taken from a linear classifier on the full embedding fitted to the person's labels (0 = off). */
  probeWeight: 0.5,
  probeSteps: 100,
  probeLr: 0.01,
  probeL2: 0.001,
  doubtNeighbours: SPICE_DEFAULTS.doubtNeighbours,
};

export type RefineSettings = typeof REFINE_DEFAULTS;

export interface RefineOptions {
  /** The run to start from; default: the project's default run. */
  baseRunId?: number;
  seed?: number;
  signal?: AbortSignal;
  settings?: Partial<RefineSettings>;
  /** Keeps the projected view bank between refines of one open project (the bench and the app refine often). */
  bankCache?: ProjectedBankCache;
}

/** What a refine of a run would predict: one entry per output, a class name or null for an unnamed cluster. */
export interface RefineClasses {
  outputs: Array<string | null>;
  /** Output of each earlier cluster. */
  outputOfCluster: Int32Array;
  outputOfClass: Map<string, number>;
  /** An earlier cluster whose output weights an output starts from; -1: a class known only from person labels. */
  sourceCluster: Int32Array;
}

export function refineClasses(db: Db, base: RunRecord): RefineClasses {
  const names = new Array<string | null>(base.k).fill(null);
  for (const r of namedClusters(db, base.id)) {
    if (r.cluster < base.k) names[r.cluster] = r.className;
  }
  const sizes = clusterSizes(db, base.id);
  const personClasses = personLabelClasses(db);
  const classes = [...new Set([...names.filter((c): c is string => c !== null), ...personClasses])].sort();
  const outputs: Array<string | null> = [...classes];
  const outputOfClass = new Map(classes.map((c, j) => [c, j]));
  const outputOfCluster = new Int32Array(base.k).fill(-1);
  const sourceCluster: number[] = classes.map(() => -1);
  for (let c = 0; c < base.k; c++) {
    const name = names[c];
    if (name !== null) {
      const j = outputOfClass.get(name)!;
      outputOfCluster[c] = j;
      // Several clusters with one name: the output starts from the largest.
      if (sourceCluster[j] < 0 || sizes[c] > sizes[sourceCluster[j]]) sourceCluster[j] = c;
    } else if (sizes[c] > 0) {
      outputOfCluster[c] = outputs.length;
      outputs.push(null);
      sourceCluster.push(c);
    }
  }
  return { outputs, outputOfClass, outputOfCluster, sourceCluster: Int32Array.from(sourceCluster) };
}

/** The run a refine starts from: the given one, else the default run; it must be finished. */
export function refineBase(db: Db, baseRunId?: number): RunRecord {
  const base = baseRunId === undefined ? defaultRun(db) : getRun(db, baseRunId);
  if (!base) throw new ClusteringInputError(baseRunId === undefined ? 'this project has no finished run to refine: cluster it first' : `there is no run ${baseRunId}`);
  if (base.state !== 'done') throw new ClusteringInputError(`run ${base.id} is ${base.state}: refine starts from a finished run`);
  if (base.method === 'spice-self') throw new ClusteringInputError(`run ${base.id} is a SPICE-Self run: refine its SPICE run instead`);
  return base;
}

export async function runRefine(project: Project, options: RefineOptions = {}): Promise<number> {
  const db = project.db;
  const base = refineBase(db, options.baseRunId);
  const settings: RefineSettings = { ...REFINE_DEFAULTS, ...options.settings };
  const seed = options.seed ?? base.seed;
  const classes = refineClasses(db, base);
  if (classes.outputs.length < 2) throw new ClusteringInputError('refine needs at least two classes: name the clusters or label images of two classes first');
  const personCount = countClassLabels(db);
  if (personCount === 0) throw new ClusteringInputError('no image has a person label yet: move, accept or import labels before refining');
  const start = startingModel(db, base);
  const params = { method: 'refine', baseRunId: base.id, seed, settings, classes: classes.outputs };
  return project.jobs.run('cluster', params, (ctx) => refineJob(project, ctx, base, start, classes, seed, settings, options.bankCache), options.signal);
}

async function refineJob(
  project: Project,
  ctx: JobContext,
  base: RunRecord,
  start: StartingModel,
  classes: RefineClasses,
  seed: number,
  settings: RefineSettings,
  cache: ProjectedBankCache | undefined,
): Promise<number> {
  const db = project.db;
  markStaleRuns(db);
  const K = classes.outputs.length;
  const runId = createRun(db, {
    method: 'refine',
    backboneId: base.backboneId,
    k: K,
    seed,
    params: { baseRunId: base.id, classes: classes.outputs, settings, pcaFrom: start.pcaFrom },
    jobId: ctx.jobId,
  });
  const timings: Record<string, number> = {};
  const startedAt = performance.now();
  const timed = async <T>(name: string, f: () => Promise<T> | T): Promise<T> => {
    const t = performance.now();
    const out = await f();
    timings[name] = round((performance.now() - t) / 1000, 2);
    return out;
  };
  try {
    const tfInfo = await initTfBackend();
    ctx.log(
      `refine run ${base.id} (${base.method}) on ${tfInfo.description}: ${K} outputs (${classes.outputs.map((c, j) => c ?? `unnamed cluster ${classes.sourceCluster[j]}`).join(', ')})`,
    );
    const views = await timed('load', async () => {
      ctx.stage('load the view bank', null, 'views');
      const load = () => loadProjectedViews(db, base.backboneId, start.projection, { signal: ctx.signal, onView: (done) => ctx.progress(done) });
      return cache ? cache.get(db, base.backboneId, start.pcaKey, load) : load();
    });
    const n = views.imageIds.length;
    const rowOf = new Map(views.imageIds.map((id, i) => [id, i]));
    ctx.throwIfCancelled();

    const graph = await timed('knn', () => {
      ctx.stage('k-nearest neighbours', n, 'images');
      return plainKnnGraph(db, base.backboneId, views.imageIds, views.plainFull, views.fullDim, Math.max(settings.doubtNeighbours, SPICE_DEFAULTS.reliable.neighbours), {
        signal: ctx.signal,
        onProgress: (done) => ctx.progress(done),
      });
    });

    const labelled = labelledGroups(db, base, classes, rowOf, settings);
    ctx.log(
      `learning from ${labelled.person.rows.length} person labels (${perClassCounts(labelled.person, classes.outputs)}) ` +
        `and ${labelled.reliable.rows.length} reliable samples of run ${base.id} (weight ${settings.reliableWeight})`,
    );
    const init = start.head ? outputWeights(start.head, classes, labelled.person, views.plain) : undefined;
    if (!init) ctx.log(`run ${base.id} has no SPICE classifier: a new one is trained from its most confident members and the person's labels`);
    const semiOptions: SpiceSemiOptions = {
      hidden: init ? init.spec.hidden : SPICE_DEFAULTS.self.hidden,
      steps: settings.steps,
      labeledBatch: settings.labeledBatch,
      unlabeledRatio: settings.unlabeledRatio,
      threshold: settings.threshold,
      unlabeledWeight: settings.unlabeledWeight,
      lr: settings.lr,
      emaDecay: settings.emaDecay,
      balancedLabels: true,
      entropyWeight: settings.entropyWeight,
      classPrior: settings.prior === 'base' ? baseShares(db, base.id, classes) : undefined,
      neighbourWeight: settings.neighbourWeight,
      neighbours: settings.neighbourWeight > 0 ? nearestNeighbourLists(graph, n, settings.neighbourK) : undefined,
      unlabeledView: 'strong',
      seed,
    };
    const trained = await timed('train', () => {
      ctx.stage('learning from the labels', settings.steps, 'steps');
      return trainSpiceSemi(
        semiBankOf(views),
        K,
        [labelled.person, labelled.reliable],
        semiOptions,
        {
          signal: ctx.signal,
          onStep: (step, steps, s) => {
            if (step % 10 === 0 || step === steps) ctx.progress(step, `loss ${s.loss.toFixed(3)}, ${(s.maskRate * 100).toFixed(0)}% of unlabelled views confident`);
          },
        },
        init,
        labelled.outliers,
      );
    });
    ctx.throwIfCancelled();

    const t = performance.now();
    ctx.stage('save', n, 'images');
    const probs = blendNeighbourVotes(withLabelProbe(trained.probs, views, labelled.person, K, settings), n, K, graph, personLabelOfRow(labelled.person, n), {
      neighbours: settings.neighbourVoteK,
      weight: settings.neighbourVoteWeight,
    });
    const labels = argmaxLabels(probs, n, K);
    const doubt = doubtScores(labels, probs, K, graph, { neighbours: settings.doubtNeighbours });
    const reliable = selectReliable(labels, doubt.confidence, graph, K, { ...SPICE_DEFAULTS.reliable, seed });
    saveAssignments(db, runId, assignmentRows(views.imageIds, K, { labels, probs, ...doubt, reliable: reliable.reliable }));
    setClusterNames(
      db,
      runId,
      classes.outputs.flatMap((className, cluster) => (className === null ? [] : [{ cluster, className }])),
    );
    saveRunModel(db, runId, { embeddingDim: views.fullDim, pca: views.pca, mlp: trained.weights });
    ctx.progress(n);
    timings.save = round((performance.now() - t) / 1000, 2);
    timings.total = round((performance.now() - startedAt) / 1000, 2);

    const fit = agreement(labelled.person, labels);
    const changed = changedFromBase(db, base.id, views.imageIds, labels, classes.outputOfCluster);
    finishRun(db, runId, {
      state: 'done',
      report: {
        baseRun: base.id,
        backend: tfInfo.description,
        n,
        outputs: classes.outputs,
        personLabels: labelled.person.rows.length,
        reliableFromBase: labelled.reliable.rows.length,
        outliersLeftOut: labelled.outliers.reduce((s, v) => s + v, 0),
        steps: trained.steps,
        finalLoss: round(trained.finalLoss, 4),
        finalMaskRate: round(trained.finalMaskRate, 4),
        agreesWithPersonLabels: round(fit, 4),
        changedFromBase: changed,
        reliable: { total: reliable.total, perCluster: reliable.perCluster, relaxations: reliable.relaxations },
        knnCached: graph.cached,
      },
      timings,
    });
    ctx.log(
      `refine: run ${runId} done in ${timings.total}s; it agrees with ${(fit * 100).toFixed(1)}% of the person's labels and changed ${changed} of ${n} model labels`,
    );
    return runId;
  } catch (err) {
    throw recordStoppedRun(db, runId, err, ctx.signal, timings);
  }
}

interface StartingModel {
  projection: Projection;
  /** The run whose projection the refine uses (refines of refines pass it on). */
  pcaFrom: number;
  /** Identifies the projection, so a cached bank is reused only with the same one. */
  pcaKey: string;
  /** One head, outputs numbered as the earlier run's clusters; null: the earlier run has none (k-means), start afresh. */
  head: MlpHeadsWeights | null;
}

/**
 * The earlier run's PCA and its selected head (a consensus run stores all its heads). A k-means run has
 * neither: the refine then computes the projection SPICE would (same width, seeded by the run) and trains
 * a new head from its most confident members and the person's labels.
 */
function startingModel(db: Db, base: RunRecord): StartingModel {
  const pcaFrom = (base.params.pcaFrom as number | undefined) ?? base.id;
  if (!hasSpiceModel(db, base.id)) {
    const outDim = SPICE_DEFAULTS.pcaDim;
    return { projection: { compute: { outDim, seed: base.seed } }, pcaFrom, pcaKey: `new:${base.seed}:${outDim}`, head: null };
  }
  const model = loadRunModel(db, base.id);
  const heads = model.mlp.spec.heads;
  const selected = heads > 1 ? Number((base.report?.self as { selectedHead?: number } | undefined)?.selectedHead ?? 0) : 0;
  return {
    projection: model.pca ? { basis: model.pca } : null,
    pcaFrom,
    pcaKey: `run:${pcaFrom}:${model.pca ? model.pca.outDim : 0}`,
    head: heads > 1 ? sliceHead(model.mlp, selected) : model.mlp,
  };
}

function hasSpiceModel(db: Db, runId: number): boolean {
  return runModelKind(db, runId) === SPICE_MODEL_KIND;
}

interface LabelledSets {
  person: LabelledGroup;
  reliable: LabelledGroup;
  /** 1 for images a person marked as outliers: never trained on. */
  outliers: Uint8Array;
}

function labelledGroups(db: Db, base: RunRecord, classes: RefineClasses, rowOf: Map<number, number>, settings: RefineSettings): LabelledSets {
  const n = rowOf.size;
  const outliers = new Uint8Array(n);
  const labelledRow = new Uint8Array(n);
  const personRows: number[] = [];
  const personLabels: number[] = [];
  for (const r of listPersonLabelRows(db)) {
    const i = rowOf.get(r.imageId);
    if (i === undefined) continue;
    labelledRow[i] = 1;
    if (r.outlier === 1 || r.className === null) {
      outliers[i] = 1;
      continue;
    }
    personRows.push(i);
    personLabels.push(classes.outputOfClass.get(r.className)!);
  }
  const a = loadAssignmentColumns(db, base.id);
  const candidates: Array<{ row: number; output: number; confidence: number; reliable: boolean }> = [];
  a.imageIds.forEach((id, j) => {
    const i = rowOf.get(id);
    const output = classes.outputOfCluster[a.clusters[j]];
    if (i === undefined || labelledRow[i] || output < 0) return;
    candidates.push({ row: i, output, confidence: a.confidence[j], reliable: a.reliable[j] === 1 });
  });
  let chosen = candidates.filter((c) => c.reliable);
  if (chosen.length === 0) chosen = mostConfident(candidates, classes.outputs.length, settings.kmeansReliableShare);
  return {
    person: { name: 'person labels', rows: Int32Array.from(personRows), labels: Int32Array.from(personLabels), weight: 1, share: settings.personShare },
    reliable: {
      name: `reliable samples of run ${base.id}`,
      rows: Int32Array.from(chosen, (c) => c.row),
      labels: Int32Array.from(chosen, (c) => c.output),
      weight: settings.reliableWeight,
      share: 1 - settings.personShare,
    },
    outliers,
  };
}

/** The earlier run's share of images per refine output (a floor keeps new classes possible). */
function baseShares(db: Db, baseRunId: number, classes: RefineClasses): Float32Array {
  const K = classes.outputs.length;
  const counts = new Float64Array(K).fill(1);
  clusterSizes(db, baseRunId).forEach((n, cluster) => {
    const out = classes.outputOfCluster[cluster];
    if (out >= 0) counts[out] += n;
  });
  const total = counts.reduce((a, b) => a + b, 0);
  const floor = 0.25 / K;
  const shares = Float32Array.from(counts, (c) => Math.max(floor, c / total));
  const sum = shares.reduce((a, b) => a + b, 0);
  return shares.map((v) => v / sum);
}

function mostConfident<T extends { output: number; confidence: number }>(items: readonly T[], outputs: number, share: number): T[] {
  const byOutput: T[][] = Array.from({ length: outputs }, () => []);
  for (const it of items) byOutput[it.output].push(it);
  return byOutput.flatMap((list) => [...list].sort((x, y) => y.confidence - x.confidence).slice(0, Math.max(1, Math.round(list.length * share))));
}

/**
 * The starting head with its outputs renumbered for refine: an output with an earlier cluster copies
 * that cluster's weights; a class known only from person labels starts from the mean hidden activation
 * of its labelled images, scaled like the other outputs (weight imprinting), so it predicts its few
 * examples from the first step.
 */
function outputWeights(head: MlpHeadsWeights, classes: RefineClasses, person: LabelledGroup, plainProjected: Float32Array): MlpHeadsWeights {
  const { inputDim: d, hidden: h, k: oldK } = head.spec;
  const K = classes.outputs.length;
  const w2 = new Float32Array(h * K);
  const b2 = new Float32Array(K);
  let normSum = 0;
  for (let c = 0; c < oldK; c++) {
    let s = 0;
    for (let j = 0; j < h; j++) s += head.w2[j * oldK + c] ** 2;
    normSum += Math.sqrt(s);
  }
  const meanNorm = normSum / oldK;
  const meanBias = head.b2.reduce((s, v) => s + v, 0) / oldK;
  for (let out = 0; out < K; out++) {
    const src = classes.sourceCluster[out];
    if (src >= 0) {
      for (let j = 0; j < h; j++) w2[j * K + out] = head.w2[j * oldK + src];
      b2[out] = head.b2[src];
      continue;
    }
    const rows: number[] = [];
    person.labels.forEach((l, idx) => {
      if (l === out) rows.push(person.rows[idx]);
    });
    const x = new Float32Array(rows.length * d);
    rows.forEach((r, idx) => x.set(plainProjected.subarray(r * d, (r + 1) * d), idx * d));
    const act = hiddenActivations(head, x, rows.length);
    const mean = new Float32Array(h);
    for (let idx = 0; idx < rows.length; idx++) for (let j = 0; j < h; j++) mean[j] += act[idx * h + j] / rows.length;
    const norm = Math.sqrt(mean.reduce((s, v) => s + v * v, 0)) || 1;
    for (let j = 0; j < h; j++) w2[j * K + out] = (mean[j] / norm) * meanNorm;
    b2[out] = meanBias;
  }
  return { spec: { inputDim: d, hidden: h, k: K, heads: 1 }, w1: head.w1.slice(), b1: head.b1.slice(), w2, b2 };
}

function withLabelProbe(probs: Float32Array, views: ProjectedViews, person: LabelledGroup, K: number, settings: RefineSettings): Float32Array {
  const w = settings.probeWeight;
  if (w <= 0 || person.rows.length === 0) return probs;
  const n = views.imageIds.length;
  const probe = labelProbeProbs(views.plainFull, n, views.fullDim, person.rows, person.labels, K, {
    steps: settings.probeSteps,
    lr: settings.probeLr,
    l2: settings.probeL2,
  });
  return probs.map((p, i) => (1 - w) * p + w * probe[i]);
}

function personLabelOfRow(person: LabelledGroup, n: number): Int32Array {
  const labelOf = new Int32Array(n).fill(-1);
  person.rows.forEach((r, idx) => {
    labelOf[r] = person.labels[idx];
  });
  return labelOf;
}

function agreement(person: LabelledGroup, labels: Int32Array): number {
  if (person.rows.length === 0) return 1;
  let same = 0;
  person.rows.forEach((r, idx) => {
    if (labels[r] === person.labels[idx]) same++;
  });
  return same / person.rows.length;
}

/** Images whose model label (as a class, or as an unnamed cluster's output) differs from the earlier run's. */
function changedFromBase(db: Db, baseRunId: number, imageIds: readonly number[], labels: Int32Array, outputOfCluster: Int32Array): number {
  const a = loadAssignmentColumns(db, baseRunId);
  const before = new Map(a.imageIds.map((id, j) => [id, outputOfCluster[a.clusters[j]]]));
  let changed = 0;
  imageIds.forEach((id, i) => {
    if (before.get(id) !== labels[i]) changed++;
  });
  return changed;
}

function perClassCounts(person: LabelledGroup, outputs: ReadonlyArray<string | null>): string {
  const counts = new Array<number>(outputs.length).fill(0);
  for (const l of person.labels) counts[l]++;
  return outputs.flatMap((c, j) => (counts[j] > 0 ? [`${c ?? `#${j}`} ${counts[j]}`] : [])).join(', ');
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

/** One projected view bank kept in memory (the newest), keyed by backbone, projection and stored vectors. */
export class ProjectedBankCache {
  private entry: { key: string; views: ProjectedViews } | null = null;

  async get(db: Db, backboneId: number, pcaKey: string, load: () => Promise<ProjectedViews>): Promise<ProjectedViews> {
    const counts = embeddingStamp(db, backboneId);
    const key = `${db.name}|${backboneId}|${pcaKey}|${JSON.stringify(counts)}`;
    if (this.entry?.key === key) return this.entry.views;
    this.entry = null;
    const views = await load();
    this.entry = { key, views };
    return views;
  }

  clear(): void {
    this.entry = null;
  }
}
