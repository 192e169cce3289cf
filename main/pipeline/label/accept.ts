// Accepting: the person confirms the label an image shows, which turns the model's label into a person
// label (origin 'accepted'). One action confirms a whole selection, or the rest of a cluster.
import type { Db } from '../../db/connection.ts';
import { setPersonLabels, type PersonLabelChange } from './person-labels.ts';
import { InputError } from '../../base/errors.ts';
import { getClusterName, shownLabel, unreviewedImagesOfCluster } from '../../db/labels-repo.ts';

/**
 * Accepts the shown label of these images in the run. Images that already have a person label keep it
 * unchanged, and images without a label to accept (unnamed cluster, not in the run) are skipped.
 */
export function acceptImages(db: Db, runId: number, imageIds: readonly number[]): PersonLabelChange[] {
  const todo = [...new Set(imageIds)].flatMap((imageId) => {
    const row = shownLabel(db, runId, imageId);
    return row && row.person === 0 && row.finalLabel !== null ? [{ imageId, className: row.finalLabel }] : [];
  });
  return setPersonLabels(
    db,
    todo.map(({ imageId, className }) => ({ imageId, label: { kind: 'class', className, origin: 'accepted' } })),
  );
}

/** Accepts every image of a named cluster that has no person label yet. */
export function acceptRestOfCluster(db: Db, runId: number, cluster: number): PersonLabelChange[] {
  const name = getClusterName(db, runId, cluster);
  if (!name) throw new UnnamedClusterError(cluster);
  const ids = unreviewedImagesOfCluster(db, runId, cluster);
  return setPersonLabels(
    db,
    ids.map((imageId) => ({ imageId, label: { kind: 'class', className: name, origin: 'accepted' } })),
  );
}

export class UnnamedClusterError extends InputError {
  constructor(readonly cluster: number) {
    super(`cluster ${cluster} has no name yet: name it before accepting its images`);
    this.name = 'UnnamedClusterError';
  }
}
