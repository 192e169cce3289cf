// The review queue's arithmetic, kept pure for tests: how a screen is laid out, and what accepting it does.
import type { ImageRow } from '$contract/api.ts';

/** What accepting a screen does: which images it confirms, and where the next screen starts. */
export function acceptPlan(rows: readonly ImageRow[], offset: number, hideReviewed: boolean): { accept: number[]; unlabelled: number; nextOffset: number } {
  const accept = rows.filter((r) => r.source === 'model' && !r.outlier && r.className !== null).map((r) => r.imageId);
  // Images with no label to accept (an unnamed cluster) stay unreviewed: step past them, or they would
  // come back as the next screen.
  const unlabelled = rows.filter((r) => r.source === 'model' && r.className === null).length;
  return { accept, unlabelled, nextOffset: hideReviewed ? offset + unlabelled : offset + rows.length };
}

/**
 * The screen's images grouped by the label they show (classes by name, unnamed last), in queue order
 * within a group: a wrong one stands out among its neighbours.
 */
export function groupByLabel(rows: readonly ImageRow[]): number[] {
  const label = (r: ImageRow) => (r.outlier ? '\uffff1' : (r.className ?? '\uffff2'));
  return rows
    .map((r, i) => ({ r, i }))
    .sort((a, b) => label(a.r).localeCompare(label(b.r)) || a.i - b.i)
    .map(({ r }) => r.imageId);
}
