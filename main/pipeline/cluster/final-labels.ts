// The label each image ends up with: a person's correction if there is one, else its cluster in the
// run mapped through the run's cluster names (no class where the cluster is unnamed).
import type { Db } from '../../db/connection.ts';
import { getRun } from './runs-repo.ts';
import { getClusterNames } from './mapping.ts';

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
  /** The class or outlier mark comes from a person's correction. */
  corrected: boolean;
  outlier: boolean;
}

/** Final labels of every image of the project, in image-id order. */
export function finalLabels(db: Db, runId: number): FinalLabel[] {
  if (!getRun(db, runId)) throw new Error(`run ${runId} does not exist`);
  const names = getClusterNames(db, runId);
  const rows = db
    .prepare(
      `SELECT i.id AS imageId, i.rel_path AS relPath, a.cluster AS cluster, a.confidence AS confidence,
              c.image_id IS NOT NULL AS corrected, c.class_name AS correctedClass, COALESCE(c.outlier, 0) AS outlier
       FROM images i
       LEFT JOIN assignments a ON a.image_id = i.id AND a.run_id = ?
       LEFT JOIN corrections c ON c.image_id = i.id
       ORDER BY i.id`,
    )
    .all(runId) as Array<{
    imageId: number;
    relPath: string;
    cluster: number | null;
    confidence: number | null;
    corrected: number;
    correctedClass: string | null;
    outlier: number;
  }>;
  return rows.map((r) => {
    const corrected = r.corrected === 1;
    const outlier = r.outlier === 1;
    const fromCluster = r.cluster === null ? null : (names[r.cluster] ?? null);
    return {
      imageId: r.imageId,
      relPath: r.relPath,
      cluster: r.cluster,
      confidence: r.confidence,
      className: corrected ? (outlier ? null : r.correctedClass) : fromCluster,
      corrected,
      outlier,
    };
  });
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
