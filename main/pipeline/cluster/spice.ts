// SPICE on a backbone's stored embeddings, as one cancellable 'cluster' job:
//   load the plain view, its PCA, and the view bank projected one view at a time -> cosine k-NN -> the
//   neighbours the views agree on (with fixed views) (all three: spice-views.ts) -> SPICE-Self (10 heads;
//   their consensus numbered as the lowest-loss head; stored as a 'spice-self' run) -> reliable samples
//   (relaxed in the open when a cluster has none) -> SPICE-Semi (FixMatch classifier; off by default) ->
//   doubt -> the 'spice' run with assignments, report and timings (spice-report.ts) and its classifier
//   (run-model.ts). The settings and their defaults: spice-settings.ts; why they differ from the
//   reference: docs/spice.md.
import type { Project } from '../../project/project.ts';
import type { Db } from '../../db/connection.ts';
import { JobCancelledError, type JobContext } from '../../jobs/runner.ts';
import type { MlpHeadsWeights } from '../../ml/mlp-infer.ts';
import { initTfBackend } from '../../ml/tf-backend.ts';
import { chooseEmbeddedBackbone } from './backbone-choice.ts';
import { argmaxLabels, doubtScores } from './doubt.ts';
import { ClusteringInputError } from './clustering-errors.ts';
import { createRng, DEFAULT_SEED } from '../../base/random.ts';
import { selectReliable, type ReliableResult } from './reliable.ts';
import { carryOverClusterNames, describeCarryOver } from './name-carryover.ts';
import { saveRunModel } from './run-model.ts';
import { createRun, finishRun, markStaleRuns, saveAssignments } from '../../db/runs-repo.ts';
import { assignmentRows } from './assignment-rows.ts';
import { recordStoppedRun } from './stopped-run.ts';
import { alignHeadOutputs, headConsensus, trainSpiceSelf, type SpiceSelfOptions, type SpiceSelfResult } from './spice-self.ts';
import { reliableGroup, trainSpiceSemi, type SpiceSemiOptions, type SpiceSemiResult } from './spice-semi.ts';
import { resolveSpiceSettings, type ResolvedSpiceSettings, type SpiceSettingsOptions } from './spice-settings.ts';
import { createStageTimer, selfRunReport, spiceRunReport } from './spice-report.ts';
import { loadSpiceBank } from './spice-views.ts';

export interface SpiceOptions extends SpiceSettingsOptions {
  /** Backbone name or weights path; default: the newest backbone with embeddings. */
  backbone?: string;
  k: number;
  seed?: number;
  signal?: AbortSignal;
}

/** SPICE-Semi runs at least this many steps, however few the images. */
const SEMI_MIN_STEPS = 200;

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
  return project.jobs.run('cluster', params, (ctx) => spiceJob(project, ctx, { backbone, k, seed, settings }), signal);
}

/** One SPICE run, its inputs checked and its settings resolved. */
interface SpiceRunSpec {
  backbone: { id: number; name: string };
  k: number;
  seed: number;
  settings: ResolvedSpiceSettings;
}

async function spiceJob(project: Project, ctx: JobContext, { backbone, k, seed, settings }: SpiceRunSpec): Promise<number> {
  const db = project.db;
  markStaleRuns(db);
  const runId = createRun(db, { method: 'spice', backboneId: backbone.id, k, seed, params: { ...settings }, jobId: ctx.jobId });
  let selfRunId: number | null = null;
  const timer = createStageTimer();
  const { timings, timed } = timer;
  const startedAt = performance.now();
  try {
    const tfInfo = await initTfBackend();
    ctx.log(`SPICE on ${tfInfo.description}`);

    // The seeded generator's first draws start the PCA, as before the bank was projected view by view.
    const rng = createRng(seed);
    const { bank, imageIds, embDim, pca: projection, missingViewVectors } = await loadSpiceBank({ db, backbone, k, seed, settings, random: rng.next, ctx, timer });
    const { n, knn: graph } = bank;

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
    const savedSelfRunId = await timed('save-self', () =>
      saveSelfRun({
        db,
        jobId: ctx.jobId,
        backboneId: backbone.id,
        k,
        seed,
        settings,
        imageIds,
        self,
        labels: selfLabels,
        reliable,
        graph,
        spiceRunId: runId,
        timings: selfTimings,
      }),
    );
    selfRunId = savedSelfRunId;

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
        return trainSpiceSemi(
          bank,
          k,
          [reliableGroup(selfLabels, reliable.reliable)],
          semiOptions,
          {
            signal: ctx.signal,
            onStep: (step, steps, s) =>
              ctx.progress(step, `step ${step}/${steps}, loss ${s.loss.toFixed(3)}, ${(s.maskRate * 100).toFixed(0)}% of unlabelled views above the threshold`),
          },
          warmStart ? self.weights : undefined,
        );
      });
    } else ctx.log('SPICE-Semi skipped (semiEpochs = 0): the SPICE-Self result is final');
    ctx.throwIfCancelled();

    // ---- final assignments
    const t = performance.now();
    ctx.stage('save', n, 'images');
    const probs = semi ? semi.probs : self.probs;
    const labels = semi ? argmaxLabels(probs, n, k) : selfLabels;
    const doubt = doubtScores(labels, probs, k, graph, { neighbours: settings.doubtNeighbours });
    saveAssignments(db, runId, assignmentRows(imageIds, k, { labels, probs, ...doubt, reliable: reliable.reliable }));
    const model: MlpHeadsWeights = semi ? semi.weights : selfModel;
    saveRunModel(db, runId, { embeddingDim: embDim, pca: projection, mlp: model });
    ctx.progress(n);
    timer.record('save', (performance.now() - t) / 1000);
    timer.record('total', (performance.now() - startedAt) / 1000);

    const report = spiceRunReport({
      backbone: backbone.name,
      backend: tfInfo.description,
      n,
      k,
      embeddingDim: embDim,
      bank,
      missingViewVectors,
      pca: projection,
      selfRunId: savedSelfRunId,
      self,
      selfOutput: settings.selfOutput,
      reliable,
      semi: semi ? { result: semi, steps: semiSteps, warmStart: settings.semi.warmStart } : null,
      selfLabels,
      labels,
      doubt: doubt.doubt,
    });
    if (!report.health.learned) ctx.log(`SPICE: ${report.health.notes.join('; ')}`, 'warn');
    finishRun(db, runId, { state: 'done', report, timings });
    ctx.log(`SPICE: run ${runId} done in ${timings.total}s; cluster sizes ${report.clusterSizes.join(' ')}`);
    ctx.log(describeCarryOver(carryOverClusterNames(db, runId)));
    return runId;
  } catch (err) {
    const stopped = recordStoppedRun(db, runId, err, ctx.signal, timings);
    if (selfRunId !== null && stopped instanceof JobCancelledError) ctx.log(`the SPICE-Self run ${selfRunId} was kept; the SPICE run ${runId} was cancelled`);
    throw stopped;
  }
}

/** The SPICE-Self result, stored as its own 'spice-self' run beside the 'spice' run. */
interface SelfRunToSave {
  db: Db;
  jobId: number;
  backboneId: number;
  k: number;
  seed: number;
  settings: ResolvedSpiceSettings;
  /** Rows of `self.probs` and `labels`. */
  imageIds: number[];
  self: SpiceSelfResult;
  /** SPICE-Self's cluster per image. */
  labels: Int32Array;
  reliable: ReliableResult;
  /** The plain view's k-NN graph (the doubt score's neighbours). */
  graph: { indices: Int32Array; k: number };
  spiceRunId: number;
  /** Seconds of the stages up to SPICE-Self's reliable samples. */
  timings: Record<string, number>;
}

/** Stores the SPICE-Self run (assignments with doubt, report, timings); returns its id. */
function saveSelfRun(run: SelfRunToSave): number {
  const { db, k, settings, imageIds, self, labels, reliable } = run;
  const id = createRun(db, {
    method: 'spice-self',
    backboneId: run.backboneId,
    k,
    seed: run.seed,
    params: { pcaDim: settings.pcaDim, self: settings.self, output: settings.selfOutput, reliable: settings.reliable },
    jobId: run.jobId,
  });
  const doubt = doubtScores(labels, self.probs, k, run.graph, { neighbours: settings.doubtNeighbours });
  saveAssignments(db, id, assignmentRows(imageIds, k, { labels, probs: self.probs, ...doubt, reliable: reliable.reliable }));
  finishRun(db, id, {
    state: 'done',
    report: selfRunReport({ k, self, selfOutput: settings.selfOutput, reliable, labels, spiceRunId: run.spiceRunId }),
    timings: run.timings,
  });
  return id;
}
