// Reliable samples (SPICE.md section 4): image i with cluster l_i is reliable when the share of its
// n_s nearest neighbours (cosine, plain embeddings) that share its cluster is at least `consistency`
// AND its probability for l_i exceeds `confidence`.
//
// A cluster can end up with no reliable sample at all (the reference's "empty reliable set", its
// issues #29/#30; on MobileNet v1 CIFAR-10 features it happens for real). Then this module says so and
// relaxes the thresholds for THAT cluster only, step by step along `relaxSchedule`, recording each
// step; a cluster still short after the last step takes its most consistent members. Nothing is
// relaxed silently: every relaxation is in the result (and from there in the run's report and log).
import { createRng } from '../../base/random.ts';

export interface ReliableOptions {
  /** n_s: neighbours the consistency is measured over (reference 100). */
  neighbours: number;
  /** Minimum share of neighbours in the same cluster (reference 0.9; 0.99 for 100 clusters). */
  consistency: number;
  /** The cluster's probability must exceed this (reference 0.99). */
  confidence: number;
  /** A cluster with fewer reliable samples than this gets relaxed thresholds. */
  minPerCluster: number;
  /** Thresholds tried in order for a cluster that is short. */
  relaxSchedule: ReadonlyArray<{ consistency: number; confidence: number }>;
  /** 'downsample': every cluster cut to the size of the smallest (the reference); 'none': keep all. */
  balance: 'none' | 'downsample';
  /** Seed of the down-sampling draw. */
  seed: number;
}

export const DEFAULT_RELAX_SCHEDULE: ReadonlyArray<{ consistency: number; confidence: number }> = [
  { consistency: 0.8, confidence: 0.95 },
  { consistency: 0.7, confidence: 0.9 },
  { consistency: 0.6, confidence: 0.8 },
  { consistency: 0.5, confidence: 0.5 },
  { consistency: 0.3, confidence: 0 },
];

export interface ClusterReliability {
  cluster: number;
  /** Images assigned to the cluster. */
  size: number;
  /** Reliable at the configured thresholds. */
  atDefault: number;
  /** Reliable in the end (after any relaxation, before any down-sampling). */
  selected: number;
  /** Thresholds the cluster's samples finally met. */
  consistency: number;
  confidence: number;
  /** 'default', 'relaxed' (a schedule step), 'top-consistency' (the fallback), or 'empty-cluster'. */
  rule: 'default' | 'relaxed' | 'top-consistency' | 'empty-cluster';
}

export interface Relaxation {
  cluster: number;
  /** Reliable samples at the configured thresholds. */
  before: number;
  after: number;
  consistency: number;
  confidence: number;
  rule: 'relaxed' | 'top-consistency';
  message: string;
}

export interface ReliableResult {
  /** 1 for every reliable image (after relaxation and down-sampling). */
  reliable: Uint8Array;
  /** beta_i: the share of i's neighbours in its cluster. */
  consistency: Float32Array;
  perCluster: ClusterReliability[];
  relaxations: Relaxation[];
  /** Clusters with no reliable sample at the configured thresholds. */
  emptyAtDefault: number[];
  /** Size every cluster was cut to when balance = 'downsample'. */
  downsampledTo: number | null;
  total: number;
}

export function neighbourConsistency(labels: Int32Array, knn: { indices: Int32Array; k: number }, neighbours: number): Float32Array {
  const n = labels.length;
  const m = Math.min(neighbours, knn.k);
  if (m < 1) throw new Error('reliable samples need at least one neighbour per image');
  const beta = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let same = 0;
    for (let j = 0; j < m; j++) if (labels[knn.indices[i * knn.k + j]] === labels[i]) same++;
    beta[i] = same / m;
  }
  return beta;
}

export function selectReliable(
  labels: Int32Array,
  confidence: Float32Array,
  knn: { indices: Int32Array; k: number },
  k: number,
  options: ReliableOptions,
): ReliableResult {
  const n = labels.length;
  if (confidence.length !== n) throw new Error(`confidence has ${confidence.length} values for ${n} images`);
  const beta = neighbourConsistency(labels, knn, options.neighbours);
  const members: number[][] = Array.from({ length: k }, () => []);
  for (let i = 0; i < n; i++) members[labels[i]].push(i);
  const passes = (i: number, cons: number, conf: number) => beta[i] >= cons && confidence[i] > conf;

  const chosen: number[][] = [];
  const perCluster: ClusterReliability[] = [];
  const relaxations: Relaxation[] = [];
  const emptyAtDefault: number[] = [];
  for (let c = 0; c < k; c++) {
    const mem = members[c];
    const atDefault = mem.filter((i) => passes(i, options.consistency, options.confidence));
    if (atDefault.length === 0) emptyAtDefault.push(c);
    let picked = atDefault;
    let rule: ClusterReliability['rule'] = 'default';
    let cons = options.consistency;
    let conf = options.confidence;
    const want = Math.min(options.minPerCluster, mem.length);
    if (mem.length === 0) rule = 'empty-cluster';
    else if (picked.length < want) {
      let met = false;
      for (const step of options.relaxSchedule) {
        cons = Math.min(cons, step.consistency);
        conf = Math.min(conf, step.confidence);
        picked = mem.filter((i) => passes(i, cons, conf));
        if (picked.length >= want) {
          met = true;
          rule = 'relaxed';
          break;
        }
      }
      if (!met) {
        // Fallback: the `want` most consistent members (then most confident), whatever their scores.
        picked = [...mem].sort((a, b) => beta[b] - beta[a] || confidence[b] - confidence[a] || a - b).slice(0, want);
        rule = 'top-consistency';
        cons = Math.min(...picked.map((i) => beta[i]));
        conf = Math.min(...picked.map((i) => confidence[i]));
      }
      const why = atDefault.length === 0 ? 'no reliable sample' : `only ${atDefault.length} reliable sample${atDefault.length === 1 ? '' : 's'}`;
      relaxations.push({
        cluster: c,
        before: atDefault.length,
        after: picked.length,
        consistency: cons,
        confidence: conf,
        rule: rule === 'relaxed' ? 'relaxed' : 'top-consistency',
        message:
          `cluster ${c} (${mem.length} images) has ${why} at consistency >= ${options.consistency} and confidence > ${options.confidence}; ` +
          (rule === 'relaxed'
            ? `relaxed to consistency >= ${cons} and confidence > ${conf}: ${picked.length} samples`
            : `no threshold step reached ${want}; took its ${picked.length} most consistent members (consistency >= ${cons.toFixed(2)})`),
      });
    }
    chosen.push(picked);
    perCluster.push({ cluster: c, size: mem.length, atDefault: atDefault.length, selected: picked.length, consistency: cons, confidence: conf, rule });
  }

  let downsampledTo: number | null = null;
  if (options.balance === 'downsample') {
    const nonEmpty = chosen.filter((p) => p.length > 0);
    downsampledTo = nonEmpty.length ? Math.min(...nonEmpty.map((p) => p.length)) : 0;
    const rng = createRng(options.seed);
    for (let c = 0; c < k; c++) {
      const members = chosen[c];
      if (members.length <= downsampledTo) continue;
      const order = rng.permutation(members.length);
      chosen[c] = Array.from(order.subarray(0, downsampledTo), (j) => members[j]).sort((a, b) => a - b);
    }
  }
  const reliable = new Uint8Array(n);
  let total = 0;
  for (const p of chosen) {
    for (const i of p) {
      reliable[i] = 1;
      total++;
    }
  }
  return { reliable, consistency: beta, perCluster, relaxations, emptyAtDefault, downsampledTo, total };
}
