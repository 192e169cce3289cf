// The label each image ends up with in a run, read from the run_labels view (migration 007), the one
// definition of the rule: the person's label if there is one, else the model's (its cluster's name; no
// class where the cluster is unnamed). An image the run did not see keeps only its person label. The
// query is db/labels-repo.ts's; the export and the image view both read it.
import type { Db } from '../../db/connection.ts';
import type { LabelOrigin } from './person-labels.ts';
import { getRun } from '../../db/runs-repo.ts';
import { finalLabelRow, finalLabelRows, type FinalLabelRow } from '../../db/labels-repo.ts';

export interface FinalLabel {
  imageId: number;
  /** Relative to the project's image root, '/' separated. */
  relPath: string;
  /** Cluster in the run; null for an image the run did not see (imported after it). */
  cluster: number | null;
  /** Confidence of that cluster; null when the image is not in the run. */
  confidence: number | null;
  /** null: no class (unnamed cluster, not in the run, or an outlier). */
  className: string | null;
  /** 'person': the class or outlier mark is a person's label; 'model': the run's prediction. */
  source: 'person' | 'model';
  origin: LabelOrigin | null;
  /** A person gave the image a class other than the model's, or marked it an outlier. */
  corrected: boolean;
  outlier: boolean;
}

/** Final labels of every image of the project, in image-id order. */
export function finalLabels(db: Db, runId: number): FinalLabel[] {
  if (!getRun(db, runId)) throw new Error(`run ${runId} does not exist`);
  const rows = finalLabelRows(db, runId);
  return rows.map(toFinalLabel);
}

/** The final label of one image in a run (the same rule as finalLabels); undefined: no such image. */
export function finalLabelOf(db: Db, runId: number, imageId: number): FinalLabel | undefined {
  const row = finalLabelRow(db, runId, imageId);
  return row ? toFinalLabel(row) : undefined;
}

function toFinalLabel(r: FinalLabelRow): FinalLabel {
  return {
    imageId: r.imageId,
    relPath: r.relPath,
    cluster: r.cluster,
    confidence: r.confidence,
    className: r.className,
    source: r.person === 1 ? 'person' : 'model',
    origin: r.origin,
    corrected: r.corrected === 1,
    outlier: r.outlier === 1,
  };
}

/** Images per final class ('' for no class), outliers counted apart. */
export function finalLabelCounts(labels: readonly FinalLabel[]): { perClass: Map<string, number>; outliers: number; unlabelled: number } {
  const perClass = new Map<string, number>();
  let outliers = 0;
  let unlabelled = 0;
  for (const l of labels) {
    if (l.outlier) outliers++;
    else if (l.className === null) unlabelled++;
    else perClass.set(l.className, (perClass.get(l.className) ?? 0) + 1);
  }
  return { perClass, outliers, unlabelled };
}
