// SPICE's own account of whether it learned anything, in plain words, from signals of the run itself
// (never from ground truth): reliable samples found at the default thresholds, cluster sizes, and the
// neighbours the views agree on. The app shows k-means first when SPICE says it has not learned.

export interface SpiceHealth {
  learned: boolean;
  /** Plain-words findings, most telling first; empty when nothing is amiss. */
  notes: string[];
}

export interface SpiceSignals {
  n: number;
  k: number;
  /** Per cluster: the reliable samples found at the default thresholds, before any relaxation. */
  reliableAtDefault: readonly number[];
  clusterSizes: readonly number[];
  /** Mean number of neighbours per image that the views agree on. */
  agreedNeighboursPerImage: number;
}

/** Fewer agreed neighbours than this per image leave the heads' neighbour loss almost nothing to pull. */
const MIN_AGREED_NEIGHBOURS = 3;
/** A cluster smaller than this share of the mean size counts as collapsed. */
const COLLAPSED_SHARE = 0.2;
/**
 * Images SPICE must be sure of at its default thresholds to count as having learned. Measured on
 * CIFAR-10 (docs/spice.md): 0 % on 1,000 images and 2.0-3.0 % on 2,000, where SPICE ties k-means
 * (within 2 points); 8.8 % on 5,000 and 15.5 % on 10,000, where it gains 8 and 11 points.
 */
const MIN_SURE_SHARE = 0.05;

export function spiceHealth(s: SpiceSignals): SpiceHealth {
  const notes: string[] = [];
  const sure = s.reliableAtDefault.reduce((a, b) => a + b, 0);
  if (sure < MIN_SURE_SHARE * s.n) {
    const share = `${((100 * sure) / s.n).toFixed(1)} %`;
    notes.push(
      `it was sure of only ${sure} of ${s.n} images (${share}) at its default thresholds, ` + `too few to have learned more than the embedding's own neighbourhoods`,
    );
  }
  const mean = s.n / s.k;
  const smallest = Math.min(...s.clusterSizes);
  if (smallest < COLLAPSED_SHARE * mean) {
    notes.push(`its clusters collapsed: the smallest holds ${smallest} images where ${Math.round(mean)} would be even`);
  }
  if (s.agreedNeighboursPerImage < MIN_AGREED_NEIGHBOURS) {
    notes.push(`the views agree on only ${s.agreedNeighboursPerImage.toFixed(1)} neighbours per image: too few for SPICE to learn from`);
  }
  return { learned: notes.length === 0, notes };
}
