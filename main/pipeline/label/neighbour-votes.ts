// The person's labels vote on their neighbours' predictions. The refined classifier generalises from the
// person's labels through its own weights; the nearest neighbours on the plain view add a second,
// local reading: an image whose closest images the person labelled "cat" leans towards cat even where
// the classifier's boundary falls elsewhere. Only person labels vote, never model labels, so a vote is
// always evidence a person gave.
import type { KnnResult } from '../../ml/cosine-knn.ts';

export interface NeighbourVoteOptions {
  /** Nearest neighbours read per image (clipped to the graph's k). */
  neighbours: number;
  /** Weight of the vote share against the classifier's probabilities (0: no change). */
  weight: number;
}

/**
 * Probabilities blended with the person labels among each image's nearest neighbours:
 * p'(c) ∝ p(c) + weight x (neighbours labelled c / neighbours read). `labelOfRow` holds each row's
 * person label as an output index, or -1. Returns new probabilities; `probs` is not changed.
 */
export function blendNeighbourVotes(probs: Float32Array, n: number, k: number, graph: KnnResult, labelOfRow: Int32Array, options: NeighbourVoteOptions): Float32Array {
  const out = probs.slice();
  const m = Math.min(options.neighbours, graph.k);
  if (options.weight <= 0 || m === 0) return out;
  const votes = new Float32Array(k);
  const scale = options.weight / m;
  for (let i = 0; i < n; i++) {
    votes.fill(0);
    let cast = 0;
    for (let j = 0; j < m; j++) {
      const label = labelOfRow[graph.indices[i * graph.k + j]];
      if (label < 0) continue;
      votes[label]++;
      cast++;
    }
    if (cast === 0) continue;
    const total = 1 + cast * scale;
    for (let c = 0; c < k; c++) out[i * k + c] = (out[i * k + c] + votes[c] * scale) / total;
  }
  return out;
}
