// runs.*: the clustering runs of the project and how good they are against ground truth.
import type { RunMetrics, RunsApi } from '../../../preload/contract/api.ts';
import { finalLabelAccuracy } from '../../pipeline/cluster/evaluate.ts';
import { getRun } from '../../db/runs-repo.ts';
import type { ServiceContext } from './context.ts';
import { ApiError } from './api-errors.ts';
import { runEvaluation, runSummaries, scoresOf } from './summary.ts';

export function createRunsService(ctx: ServiceContext): RunsApi {
  const { session } = ctx;
  return {
    async list() {
      return runSummaries(session, session.requireProject().db);
    },

    async metrics({ runId }): Promise<RunMetrics> {
      const db = session.requireProject().db;
      const run = getRun(db, runId);
      if (!run) throw new ApiError('not-found', `run ${runId} does not exist`);
      const m = runEvaluation(session, db, runId);
      if (!m) {
        return { runId, hasGroundTruth: false, scores: null, finalScores: null, labels: [], confusion: [], clusters: [], report: run.report };
      }
      const labels = m.confusion.classes;
      const confusion = Array.from({ length: run.k }, () => new Array<number>(labels.length).fill(0));
      m.confusion.clusters.forEach((cluster, i) => {
        confusion[cluster] = m.confusion.counts[i].slice();
      });
      const stats = new Map(m.perCluster.map((s) => [s.cluster, s]));
      const final = finalLabelAccuracy(db, runId);
      return {
        runId,
        hasGroundTruth: true,
        scores: scoresOf(m),
        finalScores: final.withClass > 0 ? { accuracy: final.correct / final.withClass, labelled: final.withClass } : null,
        labels,
        confusion,
        clusters: Array.from({ length: run.k }, (_, cluster) => {
          const s = stats.get(cluster);
          return { cluster, size: s?.size ?? 0, purity: s?.purity ?? 0, majorityLabel: s?.majorityClass ?? null };
        }),
        report: run.report,
      };
    },
  };
}
