// A label-free score of a partition: how often an image's nearest neighbours in the backbone's plain
// embedding share its cluster, beyond what the cluster sizes alone give by chance. It lets the app choose
// which run to show first without reading any ground truth: a partition that cuts through dense
// neighbourhoods scores lower, and one that lumps everything together gains nothing (chance rises with it).

export interface NeighbourAgreement {
  /** (agree - chance) / (1 - chance): 0 = no better than the cluster sizes alone, 1 = every neighbour agrees. */
  score: number;
  /** Share of (image, neighbour) pairs in the same cluster. */
  agree: number;
  /** The share expected from the cluster sizes alone: the sum of squared cluster fractions. */
  chance: number;
  /** Neighbours per image. */
  neighbours: number;
}

/** Neighbours per image the score counts (the closest ones of the stored plain graph). */
export const AGREEMENT_NEIGHBOURS = 10;

/**
 * graph: the k nearest neighbours of every row (row-major n x k, most similar first, never the row
 * itself); cluster[i]: row i's cluster. Counts the first `neighbours` of each row.
 */
export function neighbourAgreement(graph: { indices: Int32Array; k: number }, cluster: Int32Array, neighbours = AGREEMENT_NEIGHBOURS): NeighbourAgreement {
  const n = cluster.length;
  if (graph.indices.length !== n * graph.k) throw new Error(`a graph of ${graph.indices.length / graph.k} rows for ${n} cluster labels`);
  const m = Math.min(neighbours, graph.k);
  if (n < 2 || m < 1) throw new Error(`neighbour agreement needs at least 2 images and 1 neighbour, got ${n} and ${m}`);
  let same = 0;
  for (let i = 0; i < n; i++) {
    const row = i * graph.k;
    for (let j = 0; j < m; j++) if (cluster[graph.indices[row + j]] === cluster[i]) same++;
  }
  const sizes = new Map<number, number>();
  for (const c of cluster) sizes.set(c, (sizes.get(c) ?? 0) + 1);
  let chance = 0;
  for (const size of sizes.values()) chance += (size / n) ** 2;
  const agree = same / (n * m);
  const score = chance < 1 ? (agree - chance) / (1 - chance) : 0;
  return { score, agree, chance, neighbours: m };
}

/** The agreement a run recorded in its report; null for runs made before it was recorded. */
export function agreementOf(run: { report: Record<string, unknown> | null }): NeighbourAgreement | null {
  const a = run.report?.neighbourAgreement as NeighbourAgreement | undefined;
  return a && typeof a.score === 'number' ? a : null;
}
