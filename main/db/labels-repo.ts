// Labels as stored: a person's labels on images (table `person_labels`), a run's cluster names (table
// `cluster_names`), and what a run shows for each image (the run_labels view, migration 007: the one
// definition of an image's final label, read by the grid, the review queue, the export and the CLI).
import type { Db } from './connection.ts';
import { many, one, run, tuples, value, values } from './statements.ts';

export type LabelOrigin = 'set' | 'accepted' | 'imported';

/** A person_labels row: a class, or outlier = 1 with no class. */
export interface PersonLabelRow {
  className: string | null;
  outlier: number;
  origin: LabelOrigin;
}

export function getPersonLabelRow(db: Db, imageId: number): PersonLabelRow | undefined {
  return one<PersonLabelRow>(db, 'SELECT class_name, outlier, origin FROM person_labels WHERE image_id = ?', imageId);
}

export function listPersonLabelRows(db: Db): Array<PersonLabelRow & { imageId: number }> {
  return many(db, 'SELECT image_id, class_name, outlier, origin FROM person_labels');
}

export function countPersonLabels(db: Db): number {
  return value<number>(db, 'SELECT COUNT(*) FROM person_labels') ?? 0;
}

/** Person labels that give a class (outlier marks left out), optionally only those set at or after `since`. */
export function countClassLabels(db: Db, since?: number): number {
  const n =
    since === undefined
      ? value<number>(db, 'SELECT COUNT(*) FROM person_labels WHERE class_name IS NOT NULL')
      : value<number>(db, 'SELECT COUNT(*) FROM person_labels WHERE class_name IS NOT NULL AND updated_at >= ?', since);
  return n ?? 0;
}

export function countOutlierMarks(db: Db): number {
  return value<number>(db, 'SELECT COUNT(*) FROM person_labels WHERE outlier = 1') ?? 0;
}

/** Images with a person label (a class or an outlier mark). */
export function reviewedImageIds(db: Db): number[] {
  return values<number>(db, 'SELECT image_id FROM person_labels');
}

/** The classes person labels use. */
export function personLabelClasses(db: Db): string[] {
  return values<string>(db, 'SELECT DISTINCT class_name FROM person_labels WHERE class_name IS NOT NULL');
}

/** Person labels per class, as [class, count]. */
export function personLabelClassCounts(db: Db): Array<[string, number]> {
  return tuples<[string, number]>(db, 'SELECT class_name, COUNT(*) FROM person_labels WHERE class_name IS NOT NULL GROUP BY class_name');
}

/** Sets an image's person label (className null with outlier 1 marks an outlier). */
export function upsertPersonLabel(db: Db, imageId: number, label: PersonLabelRow, now: number): void {
  run(
    db,
    `INSERT INTO person_labels (image_id, class_name, outlier, origin, updated_at) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT(image_id) DO UPDATE SET class_name = excluded.class_name, outlier = excluded.outlier, origin = excluded.origin, updated_at = excluded.updated_at`,
    imageId,
    label.className,
    label.outlier,
    label.origin,
    now,
  );
}

export function deletePersonLabel(db: Db, imageId: number): void {
  run(db, 'DELETE FROM person_labels WHERE image_id = ?', imageId);
}

/** The run's named and unnamed cluster rows. */
export function clusterNameRows(db: Db, runId: number): Array<{ cluster: number; className: string | null }> {
  return many(db, 'SELECT cluster, class_name FROM cluster_names WHERE run_id = ?', runId);
}

/** The run's named clusters. */
export function namedClusters(db: Db, runId: number): Array<{ cluster: number; className: string }> {
  return many(db, 'SELECT cluster, class_name FROM cluster_names WHERE run_id = ? AND class_name IS NOT NULL', runId);
}

/** Named clusters per class in a run, as [class, count]. */
export function clusterNameClassCounts(db: Db, runId: number | null): Array<[string, number]> {
  return tuples<[string, number]>(db, 'SELECT class_name, COUNT(*) FROM cluster_names WHERE run_id = ? AND class_name IS NOT NULL GROUP BY class_name', runId);
}

/** A cluster's name; null when its row says unnamed, undefined when it has no row. */
export function getClusterName(db: Db, runId: number, cluster: number): string | null | undefined {
  return value<string | null>(db, 'SELECT class_name FROM cluster_names WHERE run_id = ? AND cluster = ?', runId, cluster);
}

export function upsertClusterName(db: Db, runId: number, cluster: number, className: string): void {
  run(
    db,
    'INSERT INTO cluster_names (run_id, cluster, class_name) VALUES (?, ?, ?) ON CONFLICT(run_id, cluster) DO UPDATE SET class_name = excluded.class_name',
    runId,
    cluster,
    className,
  );
}

export function deleteClusterName(db: Db, runId: number, cluster: number): void {
  run(db, 'DELETE FROM cluster_names WHERE run_id = ? AND cluster = ?', runId, cluster);
}

/** The run's cluster of each image a person labelled with a class imported or accepted (fair evidence of a cluster). */
export function fewShotExamples(db: Db, runId: number): Array<{ cluster: number; className: string }> {
  return many(
    db,
    `SELECT a.cluster AS cluster, p.class_name AS className FROM person_labels p
       JOIN assignments a ON a.image_id = p.image_id AND a.run_id = ?
       WHERE p.class_name IS NOT NULL AND p.origin IN ('imported', 'accepted')`,
    runId,
  );
}

/** Finished runs other than `runId` with at least one named cluster, newest first. */
export function namedRunsBefore(db: Db, runId: number, limit: number): number[] {
  return values<number>(
    db,
    `SELECT r.id FROM runs r WHERE r.id <> ? AND r.state = 'done'
         AND EXISTS (SELECT 1 FROM cluster_names n WHERE n.run_id = r.id AND n.class_name IS NOT NULL)
       ORDER BY r.id DESC LIMIT ?`,
    runId,
    limit,
  );
}

/** How many final labels of a run match the folder labels, over images that have one. */
export function finalLabelAgreement(db: Db, runId: number): { correct: number; withClass: number; total: number } {
  return one(
    db,
    `SELECT COUNT(*) AS total, COUNT(r.final_label) AS withClass, COALESCE(SUM(r.final_label = i.label), 0) AS correct
       FROM images i LEFT JOIN run_labels r ON r.run_id = ? AND r.image_id = i.id
       WHERE i.label IS NOT NULL`,
    runId,
  )!;
}

/** Clusters with a name in the run. */
export function countNamedClusters(db: Db, runId: number): number {
  return value<number>(db, 'SELECT COUNT(*) FROM cluster_names WHERE run_id = ? AND class_name IS NOT NULL', runId) ?? 0;
}

// ---------------------------------------------------------------- final labels (run_labels)

/** What the run shows for one image it saw: its cluster, its final label, and whether a person gave that. */
export function shownLabel(db: Db, runId: number, imageId: number): { cluster: number; finalLabel: string | null; person: number } | undefined {
  return one(db, 'SELECT cluster, final_label, person FROM run_labels WHERE run_id = ? AND image_id = ?', runId, imageId);
}

/** Images of a cluster that show the model's label (no person label). */
export function unreviewedImagesOfCluster(db: Db, runId: number, cluster: number): number[] {
  return values<number>(db, 'SELECT image_id FROM run_labels WHERE run_id = ? AND cluster = ? AND person = 0', runId, cluster);
}

/** Images with a final class in the run, as [imageId, class]. */
export function finalClassesOfRun(db: Db, runId: number): Array<[number, string]> {
  return tuples<[number, string]>(db, 'SELECT image_id, final_label FROM run_labels WHERE run_id = ? AND final_label IS NOT NULL', runId);
}

/**
 * An image's final label in a run, for every image of the project: the run_labels view where the run saw
 * the image; an image the run did not see keeps only its person label.
 */
export interface FinalLabelRow {
  imageId: number;
  relPath: string;
  cluster: number | null;
  confidence: number | null;
  className: string | null;
  /** 1 when a person labelled the image. */
  person: number;
  origin: LabelOrigin | null;
  outlier: number;
  corrected: number;
}

const FINAL_LABEL_SELECT = `SELECT i.id AS imageId, i.rel_path AS relPath, r.cluster AS cluster, r.confidence AS confidence,
              CASE WHEN r.image_id IS NOT NULL THEN r.final_label ELSE p.class_name END AS className,
              p.image_id IS NOT NULL AS person, p.origin AS origin, COALESCE(p.outlier, 0) AS outlier,
              CASE WHEN r.image_id IS NOT NULL THEN r.corrected ELSE p.image_id IS NOT NULL END AS corrected
       FROM images i
       LEFT JOIN run_labels r ON r.run_id = ? AND r.image_id = i.id
       LEFT JOIN person_labels p ON p.image_id = i.id`;

/** Final labels of every image of the project, in image-id order. */
export function finalLabelRows(db: Db, runId: number): FinalLabelRow[] {
  return many<FinalLabelRow>(db, `${FINAL_LABEL_SELECT} ORDER BY i.id`, runId);
}

/** The final label of one image (undefined: no such image). */
export function finalLabelRow(db: Db, runId: number, imageId: number): FinalLabelRow | undefined {
  return one<FinalLabelRow>(db, `${FINAL_LABEL_SELECT} WHERE i.id = ?`, runId, imageId);
}
