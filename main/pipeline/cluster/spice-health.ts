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

export function spiceHealth(s: SpiceSignals): SpiceHealth {
  const notes: string[] = [];
  const sure = s.reliableAtDefault.filter((count) => count > 0).length;
  // Half the clusters or more without a single confident, neighbour-consistent image: the heads did
  // not separate the classes (measured: 0 of 10 on 1,000 CIFAR-10 images, where SPICE ties k-means).
  if (sure < s.k / 2) {
    notes.push(
      `${s.k - sure} of ${s.k} clusters had no image SPICE was sure of at its default thresholds (it relaxed them to go on): ` +
        `on ${s.n} images its heads learned little beyond the embedding itself`,
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
