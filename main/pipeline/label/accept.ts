// Accepting: the person confirms the label an image shows, which turns the model's label into a person
// label (origin 'accepted'). One action confirms a whole selection, or the rest of a cluster.
import type { Db } from '../../db/connection.ts';
import { setPersonLabels, type PersonLabelChange } from './person-labels.ts';
import { InputError } from '../../base/errors.ts';

/**
 * Accepts the shown label of these images in the run. Images that already have a person label keep it
 * unchanged, and images without a label to accept (unnamed cluster, not in the run) are skipped.
 */
export function acceptImages(db: Db, runId: number, imageIds: readonly number[]): PersonLabelChange[] {
  const shown = db.prepare('SELECT final_label, person FROM run_labels WHERE run_id = ? AND image_id = ?');
  const todo = [...new Set(imageIds)].flatMap((imageId) => {
    const row = shown.get(runId, imageId) as { final_label: string | null; person: number } | undefined;
    return row && row.person === 0 && row.final_label !== null ? [{ imageId, className: row.final_label }] : [];
  });
  return setPersonLabels(db, todo.map(({ imageId, className }) => ({ imageId, label: { kind: 'class', className, origin: 'accepted' } })));
}

/** Accepts every image of a named cluster that has no person label yet. */
export function acceptRestOfCluster(db: Db, runId: number, cluster: number): PersonLabelChange[] {
  const name = db.prepare('SELECT class_name FROM cluster_names WHERE run_id = ? AND cluster = ?').pluck().get(runId, cluster) as string | null | undefined;
  if (!name) throw new UnnamedClusterError(cluster);
  const ids = db.prepare('SELECT image_id FROM run_labels WHERE run_id = ? AND cluster = ? AND person = 0').pluck().all(runId, cluster) as number[];
  return setPersonLabels(db, ids.map((imageId) => ({ imageId, label: { kind: 'class', className: name, origin: 'accepted' } })));
}

export class UnnamedClusterError extends InputError {
  constructor(readonly cluster: number) {
    super(`cluster ${cluster} has no name yet: name it before accepting its images`);
    this.name = 'UnnamedClusterError';
  }
}
