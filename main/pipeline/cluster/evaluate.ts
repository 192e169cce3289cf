// Scores a stored run against the ground-truth folder labels of its images (images.label).
import type { Db } from '../../db/connection.ts';
import { clusteringMetrics, type ClusteringMetrics } from './metrics.ts';
import { getRun, type RunRecord } from '../../db/runs-repo.ts';
import { InputError } from '../../base/errors.ts';
import { finalLabelAgreement } from '../../db/labels-repo.ts';
import { clustersWithFolderLabels } from '../../db/runs-repo.ts';
import { anyGroundTruth } from '../../db/images-repo.ts';

export interface RunEvaluation {
  run: RunRecord;
  /** Images of the run that carry a ground-truth label (the ones scored). */
  labelled: number;
  /** Images of the run without one (left out). */
  unlabelled: number;
  metrics: ClusteringMetrics;
}

export class NoGroundTruthError extends InputError {
  constructor(runId: number) {
    super(`run ${runId}: none of its images has a ground-truth label (import with --labels-from-folders to evaluate)`);
    this.name = 'NoGroundTruthError';
  }
}

export function evaluateRun(db: Db, runId: number): RunEvaluation {
  const run = getRun(db, runId);
  if (!run) throw new Error(`there is no run ${runId}`);
  const rows = clustersWithFolderLabels(db, runId);
  const scored = rows.filter((r) => r.label !== null);
  if (scored.length === 0) throw new NoGroundTruthError(runId);
  const metrics = clusteringMetrics(
    scored.map((r) => r.label as string),
    scored.map((r) => r.cluster),
  );
  return { run, labelled: scored.length, unlabelled: rows.length - scored.length, metrics };
}

/** Whether any image of the project has a ground-truth label. */
export function hasGroundTruth(db: Db): boolean {
  return anyGroundTruth(db);
}

export interface LabelAccuracy {
  /** Images with a ground-truth label whose final label (person's, else the run's) equals it. */
  correct: number;
  /** Images with a ground-truth label and a final class. */
  withClass: number;
  /** Images with a ground-truth label: an image without a final class counts as wrong over these. */
  total: number;
}

/** How many final labels of a run are right, against the folder labels (evaluation only). */
export function finalLabelAccuracy(db: Db, runId: number): LabelAccuracy {
  return finalLabelAgreement(db, runId);
}
