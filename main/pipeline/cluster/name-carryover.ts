// Cluster names carry over from one run to the next, so re-clustering never throws a person's naming
// work away. The new run's clusters are matched to classes by shared members: each member of a new
// cluster votes for its latest class, its final label in the newest earlier finished run that gives it
// one (its person label, else its cluster's name there; looking further back where a newer run left it
// without one, so names do not wear away over a chain of partly named runs). A Hungarian match gives
// each class its best new cluster; a surplus cluster (K above the number of classes) takes the class
// most of its members had. A cluster whose match is weak stays unnamed, and is shown as new.
import type { Db } from '../../db/connection.ts';
import { maxWeightAssignment } from './hungarian.ts';
import { getClusterNames, setClusterNames } from './cluster-names.ts';
import { getRun, setNamesFrom } from '../../db/runs-repo.ts';
import { finalClassesOfRun, namedRunsBefore } from '../../db/labels-repo.ts';
import { clustersOfRun } from '../../db/runs-repo.ts';

/** A matched cluster keeps the name when at least this share of its members had that class. */
export const MIN_MATCHED_SHARE = 0.4;
/** A surplus cluster takes its majority class when at least this share of its members had it. */
export const MIN_SURPLUS_SHARE = 0.6;

export interface CarryOverResult {
  /** The newest run the names came from; null when no earlier run had names. */
  from: number | null;
  named: number;
  /** Clusters left unnamed (no good match). */
  unnamed: number[];
}

/** Earlier runs looked at for votes, newest first. */
const MAX_EARLIER_RUNS = 20;

/** Finished runs other than `runId` with at least one named cluster, newest first. */
export function earlierNamedRuns(db: Db, runId: number): number[] {
  return namedRunsBefore(db, runId, MAX_EARLIER_RUNS);
}

/** Each image's latest class among the earlier runs (newest first); the newest run that gave any. */
function latestClasses(db: Db, earlier: readonly number[]): { classOf: Map<number, string>; from: number | null } {
  const classOf = new Map<number, string>();
  let from: number | null = null;
  for (const run of earlier) {
    for (const [imageId, label] of finalClassesOfRun(db, run)) {
      if (classOf.has(imageId)) continue;
      classOf.set(imageId, label);
      from ??= run;
    }
  }
  return { classOf, from };
}

/** Names the clusters of a finished run that has no names yet from the previous named run; records where they came from. */
export function carryOverClusterNames(db: Db, runId: number): CarryOverResult {
  const run = getRun(db, runId);
  if (!run) throw new Error(`run ${runId} does not exist`);
  const none: CarryOverResult = { from: null, named: 0, unnamed: [] };
  if (getClusterNames(db, runId).some((n) => n !== null)) return none;
  const { classOf, from } = latestClasses(db, earlierNamedRuns(db, runId));
  if (from === null) return none;

  const sizes = new Array<number>(run.k).fill(0);
  const counts = new Map<string, number>();
  for (const [imageId, cluster] of clustersOfRun(db, runId)) {
    sizes[cluster]++;
    const cls = classOf.get(imageId);
    if (cls !== undefined) counts.set(`${cluster}\u0000${cls}`, (counts.get(`${cluster}\u0000${cls}`) ?? 0) + 1);
  }
  const votes = [...counts].map(([key, n]) => {
    const [cluster, className] = key.split('\u0000');
    return { cluster: Number(cluster), className, n };
  });
  const names = matchClustersToClasses(sizes, votes);
  db.transaction(() => {
    setClusterNames(
      db,
      runId,
      names.flatMap((className, cluster) => (className === null ? [] : [{ cluster, className }])),
    );
    setNamesFrom(db, runId, from);
  }).immediate();
  const unnamed = names.flatMap((n, c) => (n === null && sizes[c] > 0 ? [c] : []));
  return { from, named: names.filter((n) => n !== null).length, unnamed };
}

/**
 * The class each cluster takes (null: none), from the votes of its members. Pure, so the rule can be
 * tested on its own.
 */
export function matchClustersToClasses(sizes: readonly number[], votes: ReadonlyArray<{ cluster: number; className: string; n: number }>): Array<string | null> {
  const k = sizes.length;
  const classes = [...new Set(votes.map((v) => v.className))].sort();
  const names = new Array<string | null>(k).fill(null);
  if (classes.length === 0) return names;
  const col = new Map(classes.map((c, i) => [c, i]));
  const counts = Array.from({ length: k }, () => new Array<number>(classes.length).fill(0));
  for (const v of votes) counts[v.cluster][col.get(v.className)!] += v.n;
  const share = (cluster: number, c: number) => (sizes[cluster] > 0 ? counts[cluster][c] / sizes[cluster] : 0);

  const matching = maxWeightAssignment(counts);
  for (let cluster = 0; cluster < k; cluster++) {
    const c = matching.rowToCol[cluster];
    if (c >= 0 && share(cluster, c) >= MIN_MATCHED_SHARE) names[cluster] = classes[c];
  }
  for (let cluster = 0; cluster < k; cluster++) {
    if (names[cluster] !== null || matching.rowToCol[cluster] >= 0) continue;
    let best = 0;
    for (let c = 1; c < classes.length; c++) if (counts[cluster][c] > counts[cluster][best]) best = c;
    if (share(cluster, best) >= MIN_SURPLUS_SHARE) names[cluster] = classes[best];
  }
  return names;
}

/** One log line saying what a carry-over did. */
export function describeCarryOver(r: CarryOverResult): string {
  if (r.from === null) return 'no earlier run has named clusters: every cluster starts unnamed';
  const rest = r.unnamed.length
    ? `; ${r.unnamed.length} cluster${r.unnamed.length === 1 ? '' : 's'} had no good match and stay unnamed (new): ${r.unnamed.join(', ')}`
    : '';
  return `cluster names carried over from run ${r.from}: ${r.named} named${rest}`;
}
