// How a label's origin is shown: who gave it (a person or the model) and how (moved, accepted, imported).
import type { ImageRow } from '$contract/api.ts';

export interface LabelBadge {
  /** One character for a tile corner. */
  icon: string;
  /** Words for tooltips and screen readers. */
  text: string;
}

export function labelBadge(row: Pick<ImageRow, 'source' | 'origin' | 'outlier'>): LabelBadge | null {
  if (row.source !== 'person') return null;
  if (row.outlier) return { icon: '✎', text: 'marked as outlier by a person' };
  switch (row.origin) {
    case 'accepted':
      return { icon: '✓', text: 'label accepted by a person' };
    case 'imported':
      return { icon: '⇩', text: 'label imported from a person’s list' };
    default:
      return { icon: '✎', text: 'label set by a person' };
  }
}

/** The reliable mark: truly reliable, reliable only at relaxed thresholds, or none. */
export function reliableMark(row: Pick<ImageRow, 'reliable' | 'relaxed'>): { kind: 'reliable' | 'relaxed'; text: string } | null {
  if (!row.reliable) return null;
  return row.relaxed
    ? { kind: 'relaxed', text: 'reliable sample only after its cluster’s thresholds were relaxed' }
    : { kind: 'reliable', text: 'reliable sample (SPICE’s own thresholds)' };
}
