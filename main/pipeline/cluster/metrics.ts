// Clustering metrics against ground truth: ACC (best one-to-one cluster-to-class mapping), NMI
// (arithmetic-mean normalisation, scikit-learn's default), ARI, the confusion matrix, and per-cluster
// size and purity. Works for any number of clusters and classes.
import { maxWeightAssignment } from './hungarian.ts';

export interface ContingencyTable {
  /** Distinct cluster ids, ascending. */
  clusters: number[];
  /** Distinct class labels, ascending (numbers as their decimal string). */
  classes: string[];
  /** counts[c][t]: images of cluster clusters[c] whose true class is classes[t]. */
  counts: number[][];
  n: number;
}

export interface ClusterStats {
  cluster: number;
  size: number;
  /** Most frequent true class in the cluster and its share of the cluster. */
  majorityClass: string;
  purity: number;
  /** Class this cluster gets in the one-to-one mapping behind ACC, or null when left out (more clusters than classes). */
  matchedClass: string | null;
}

export interface ClusteringMetrics {
  n: number;
  acc: number;
  nmi: number;
  ari: number;
  /** Share of images whose cluster's majority class is their class (many-to-one; equals ACC when K = classes and the mapping is one-to-one). */
  purity: number;
  confusion: ContingencyTable;
  /** One-to-one mapping behind ACC: cluster id -> class. */
  mapping: Map<number, string>;
  perCluster: ClusterStats[];
}

export function contingencyTable(truth: readonly (string | number)[], pred: readonly number[]): ContingencyTable {
  if (truth.length !== pred.length) throw new Error(`truth has ${truth.length} labels but prediction has ${pred.length}`);
  const truthStrings = truth.map((t) => String(t));
  const clusters = [...new Set(pred)].sort((a, b) => a - b);
  const classes = [...new Set(truthStrings)].sort(compareLabels);
  const clusterIndex = new Map(clusters.map((c, i) => [c, i]));
  const classIndex = new Map(classes.map((c, i) => [c, i]));
  const counts = clusters.map(() => new Array<number>(classes.length).fill(0));
  for (let i = 0; i < pred.length; i++) counts[clusterIndex.get(pred[i])!][classIndex.get(truthStrings[i])!]++;
  return { clusters, classes, counts, n: pred.length };
}

export function clusteringMetrics(truth: readonly (string | number)[], pred: readonly number[]): ClusteringMetrics {
  const table = contingencyTable(truth, pred);
  const { counts, n, clusters, classes } = table;
  if (n === 0) throw new Error('no images to evaluate');
  const matching = maxWeightAssignment(counts);
  const mapping = new Map<number, string>();
  for (let c = 0; c < clusters.length; c++) if (matching.rowToCol[c] >= 0) mapping.set(clusters[c], classes[matching.rowToCol[c]]);
  let majoritySum = 0;
  const perCluster: ClusterStats[] = clusters.map((cluster, c) => {
    const row = counts[c];
    const size = row.reduce((a, b) => a + b, 0);
    let best = 0;
    for (let t = 1; t < row.length; t++) if (row[t] > row[best]) best = t;
    majoritySum += row[best];
    return { cluster, size, majorityClass: classes[best], purity: size > 0 ? row[best] / size : 0, matchedClass: mapping.get(cluster) ?? null };
  });
  return {
    n,
    acc: matching.total / n,
    nmi: normalizedMutualInfo(table),
    ari: adjustedRandIndex(table),
    purity: majoritySum / n,
    confusion: table,
    mapping,
    perCluster,
  };
}

export function normalizedMutualInfo(table: ContingencyTable): number {
  const { counts, n, clusters, classes } = table;
  // Both partitions trivial (one group each): identical, as scikit-learn scores it.
  if (clusters.length === classes.length && clusters.length <= 1) return 1;
  const rowSums = counts.map((r) => r.reduce((a, b) => a + b, 0));
  const colSums = classes.map((_, t) => counts.reduce((a, r) => a + r[t], 0));
  let mi = 0;
  for (let c = 0; c < counts.length; c++) {
    for (let t = 0; t < classes.length; t++) {
      const nij = counts[c][t];
      if (nij === 0) continue;
      mi += (nij / n) * Math.log((n * nij) / (rowSums[c] * colSums[t]));
    }
  }
  const hPred = entropy(rowSums, n);
  const hTrue = entropy(colSums, n);
  const mean = (hPred + hTrue) / 2;
  if (mi <= 0 || mean <= 0) return 0;
  return Math.min(1, Math.max(0, mi / mean));
}

export function adjustedRandIndex(table: ContingencyTable): number {
  const { counts, n, classes } = table;
  const pairs = (x: number) => (x * (x - 1)) / 2;
  let sumCells = 0;
  for (const row of counts) for (const v of row) sumCells += pairs(v);
  const rowSums = counts.map((r) => r.reduce((a, b) => a + b, 0));
  const colSums = classes.map((_, t) => counts.reduce((a, r) => a + r[t], 0));
  const sumRows = rowSums.reduce((a, v) => a + pairs(v), 0);
  const sumCols = colSums.reduce((a, v) => a + pairs(v), 0);
  const total = pairs(n);
  if (total === 0) return 1;
  const expected = (sumRows * sumCols) / total;
  const maxIndex = (sumRows + sumCols) / 2;
  // Both partitions agree on every pair (e.g. both put everything together or everything apart).
  if (maxIndex === expected) return 1;
  return (sumCells - expected) / (maxIndex - expected);
}

function entropy(sums: readonly number[], n: number): number {
  let h = 0;
  for (const s of sums) if (s > 0) h -= (s / n) * Math.log(s / n);
  return h;
}

/** Numeric labels in numeric order, others alphabetically. */
function compareLabels(a: string, b: string): number {
  const na = Number(a);
  const nb = Number(b);
  if (a !== '' && b !== '' && Number.isFinite(na) && Number.isFinite(nb)) return na - nb;
  return a < b ? -1 : a > b ? 1 : 0;
}
