// Pages of a run's images with their final labels, read from the run_labels view: the cluster grid,
// the review queue and lists of chosen images all page through the same rows.
import type { Db } from '../../db/connection.ts';
import type { LabelOrigin } from './person-labels.ts';

/** One image of a run as run_labels gives it. */
export interface RunLabelRow {
  image_id: number;
  cluster: number;
  confidence: number;
  doubt: number;
  reliable: number;
  final_label: string | null;
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
  const total = db.prepare(`SELECT COUNT(*) ${from}`).pluck().get(...args) as number;
  const rows = db.prepare(`SELECT ${COLUMNS} ${from} ORDER BY ${order} LIMIT ? OFFSET ?`).all(...args, options.limit, options.offset) as RunLabelRow[];
  return { total, rows };
}

/** Rows of these images in the run, in the order given (ids the run does not hold are left out). */
export function rowsOfImages(db: Db, runId: number, imageIds: readonly number[]): RunLabelRow[] {
  const stmt = db.prepare(`SELECT ${COLUMNS} FROM run_labels WHERE run_id = ? AND image_id = ?`);
  return imageIds.flatMap((id) => {
    const row = stmt.get(runId, id) as RunLabelRow | undefined;
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
export function reviewQueue(db: Db, runId: number, options: { offset: number; limit: number; hideReviewed: boolean; perRound?: number }): RowPage & { unreviewed: number } {
  const perRound = options.perRound ?? QUEUE_PER_ROUND;
  const filter = options.hideReviewed ? 'AND person = 0' : '';
  const total = db.prepare(`SELECT COUNT(*) FROM run_labels WHERE run_id = ? ${filter}`).pluck().get(runId) as number;
  const unreviewed = options.hideReviewed ? total : (db.prepare('SELECT COUNT(*) FROM run_labels WHERE run_id = ? AND person = 0').pluck().get(runId) as number);
  const rows = db
    .prepare(
      `SELECT ${COLUMNS} FROM (
         SELECT *, ROW_NUMBER() OVER (PARTITION BY cluster ORDER BY doubt DESC, image_id) AS rank_in_cluster
         FROM run_labels WHERE run_id = ? ${filter}
       ) ORDER BY CAST((rank_in_cluster - 1) / ? AS INTEGER), doubt DESC, image_id LIMIT ? OFFSET ?`,
    )
    .all(runId, perRound, options.limit, options.offset) as RunLabelRow[];
  return { total, rows, unreviewed };
}

/** Images each cluster contributes to one round of the review queue. */
export const QUEUE_PER_ROUND = 5;
