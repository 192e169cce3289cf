// Pages of a run's images with their final labels, read from the run_labels view (migration 007): the
// cluster grid, the review queue and lists of chosen images all page through the same rows.
import type { Db } from './connection.ts';
import type { LabelOrigin } from './labels-repo.ts';
import { many, one, tuples, value } from './statements.ts';

/** One image of a run as run_labels gives it. */
export interface RunLabelRow {
  imageId: number;
  cluster: number;
  confidence: number;
  doubt: number;
  reliable: number;
  finalLabel: string | null;
  predicted: string | null;
  /** 1 when the image has a person label. */
  person: number;
  origin: LabelOrigin | null;
  corrected: number;
  outlier: number;
}

const COLUMNS = 'image_id, cluster, confidence, doubt, reliable, final_label, predicted, person, origin, corrected, outlier';

export type RowSelector = { cluster: number } | { className: string } | { outliers: true } | { imageIds: readonly number[] };

export interface RowPage {
  total: number;
  rows: RunLabelRow[];
}

export interface PageOptions {
  sort: 'confidence' | 'doubt';
  offset: number;
  limit: number;
  /** Leave out images with a person label. */
  hideReviewed?: boolean;
}

/** A page of the images a selector picks, sorted by confidence or doubt. */
export function selectRows(db: Db, runId: number, selector: RowSelector, options: PageOptions): RowPage {
  const where: string[] = ['run_id = ?'];
  const args: Array<number | string> = [runId];
  if ('cluster' in selector) {
    where.push('cluster = ?');
    args.push(selector.cluster);
  } else if ('className' in selector) {
    where.push('final_label = ?');
    args.push(selector.className);
  } else if ('imageIds' in selector) {
    where.push('image_id IN (SELECT value FROM json_each(?))');
    args.push(JSON.stringify(selector.imageIds));
  } else where.push('outlier = 1');
  if (options.hideReviewed) where.push('person = 0');
  // The (run_id, cluster, confidence) index serves the cluster grid sorted by confidence directly.
  const order = options.sort === 'confidence' ? 'confidence DESC, image_id' : 'doubt DESC, image_id';
  const from = `FROM run_labels WHERE ${where.join(' AND ')}`;
  const total = value<number>(db, `SELECT COUNT(*) ${from}`, ...args) ?? 0;
  const rows = many<RunLabelRow>(db, `SELECT ${COLUMNS} ${from} ORDER BY ${order} LIMIT ? OFFSET ?`, ...args, options.limit, options.offset);
  return { total, rows };
}

/** Rows of these images in the run, in the order given (ids the run does not hold are left out). */
export function rowsOfImages(db: Db, runId: number, imageIds: readonly number[]): RunLabelRow[] {
  return imageIds.flatMap((id) => {
    const row = one<RunLabelRow>(db, `SELECT ${COLUMNS} FROM run_labels WHERE run_id = ? AND image_id = ?`, runId, id);
    return row ? [row] : [];
  });
}

/**
 * The review queue: every image of the run in the order a person should look at them. Clusters take
 * turns, each round holding the `perRound` most doubtful images of every cluster not yet shown,
 * most doubtful first within the round. So each screenful holds the model's likeliest mistakes from
 * every cluster: refine learns about every class from the first batches, and no cluster's doubtful
 * images wait behind another's.
 */
export function reviewQueue(
  db: Db,
  runId: number,
  options: { offset: number; limit: number; hideReviewed: boolean; perRound?: number },
): RowPage & { unreviewed: number } {
  const perRound = options.perRound ?? QUEUE_PER_ROUND;
  const filter = options.hideReviewed ? 'AND person = 0' : '';
  const total = value<number>(db, `SELECT COUNT(*) FROM run_labels WHERE run_id = ? ${filter}`, runId) ?? 0;
  const unreviewed = options.hideReviewed ? total : (value<number>(db, 'SELECT COUNT(*) FROM run_labels WHERE run_id = ? AND person = 0', runId) ?? 0);
  const rows = many<RunLabelRow>(
    db,
    `SELECT ${COLUMNS} FROM (
         SELECT *, ROW_NUMBER() OVER (PARTITION BY cluster ORDER BY doubt DESC, image_id) AS rank_in_cluster
         FROM run_labels WHERE run_id = ? ${filter}
       ) ORDER BY CAST((rank_in_cluster - 1) / ? AS INTEGER), doubt DESC, image_id LIMIT ? OFFSET ?`,
    runId,
    perRound,
    options.limit,
    options.offset,
  );
  return { total, rows, unreviewed };
}

/** Images each cluster contributes to one round of the review queue. */
export const QUEUE_PER_ROUND = 5;

/** One cluster of a run as the grid's overview card counts it. */
export interface ClusterStats {
  cluster: number;
  size: number;
  meanConfidence: number;
  /** Share of the cluster's images that are reliable, 0..1. */
  reliableShare: number;
  /** Images of the cluster with a person label. */
  reviewed: number;
}

/** Per-cluster counts of a run (clusters without images are absent). */
export function clusterStats(db: Db, runId: number): ClusterStats[] {
  return many<ClusterStats>(
    db,
    `SELECT cluster, COUNT(*) AS size, AVG(confidence) AS mean_confidence, AVG(reliable) AS reliable_share, SUM(person) AS reviewed
           FROM run_labels WHERE run_id = ? GROUP BY cluster`,
    runId,
  );
}

/** Images per final class in a run, as [class, count]. */
export function finalClassCounts(db: Db, runId: number | null): Array<[string, number]> {
  return tuples<[string, number]>(db, 'SELECT final_label, COUNT(*) FROM run_labels WHERE run_id = ? AND final_label IS NOT NULL GROUP BY final_label', runId);
}
