// Cluster -> class names of a run (table `cluster_names`): set by hand, or proposed by Hungarian
// matching against few-shot labels or ground-truth folder labels. Many clusters may share a class; a
// cluster may stay unnamed. Every write returns what it replaced, so a caller can undo it.
import type { Db } from '../../db/connection.ts';
import { ensureClass } from '../../project/classes.ts';
import { maxWeightAssignment } from './hungarian.ts';
import { getRun } from '../../db/runs-repo.ts';
import { clusterNameRows, deleteClusterName, fewShotExamples, getClusterName, upsertClusterName } from '../../db/labels-repo.ts';
import { groundTruthOfRun } from '../../db/runs-repo.ts';

/** Class of each cluster, index = cluster; null = unnamed. */
export type ClusterNames = Array<string | null>;

/** One cluster's previous name, for undo. */
export interface NameChange {
  cluster: number;
  previous: string | null;
}

export function getClusterNames(db: Db, runId: number): ClusterNames {
  const k = runK(db, runId);
  const names: ClusterNames = new Array<string | null>(k).fill(null);
  for (const r of clusterNameRows(db, runId)) if (r.cluster >= 0 && r.cluster < k) names[r.cluster] = r.className;
  return names;
}

/** Names one cluster (creating the class if new); null unnames it. */
export function setClusterName(db: Db, runId: number, cluster: number, className: string | null): NameChange {
  return setClusterNames(db, runId, [{ cluster, className }])[0];
}

/** Maps several clusters to one class (many-to-one). */
export function mapClustersToClass(db: Db, runId: number, clusters: readonly number[], className: string): NameChange[] {
  return setClusterNames(
    db,
    runId,
    clusters.map((cluster) => ({ cluster, className })),
  );
}

export function unnameCluster(db: Db, runId: number, cluster: number): NameChange {
  return setClusterName(db, runId, cluster, null);
}

/** Writes several names in one transaction; returns the previous names in the same order. */
export function setClusterNames(db: Db, runId: number, names: ReadonlyArray<{ cluster: number; className: string | null }>): NameChange[] {
  const k = runK(db, runId);
  for (const { cluster } of names) {
    if (!Number.isInteger(cluster) || cluster < 0 || cluster >= k) throw new Error(`run ${runId} has clusters 0..${k - 1}, not ${cluster}`);
  }
  return db
    .transaction(() =>
      names.map(({ cluster, className }) => {
        const previous = getClusterName(db, runId, cluster) ?? null;
        if (className === null) deleteClusterName(db, runId, cluster);
        else upsertClusterName(db, runId, cluster, ensureClass(db, className));
        return { cluster, previous };
      }),
    )
    .immediate();
}

/** Puts back names returned by a write (undo). */
export function restoreClusterNames(db: Db, runId: number, changes: readonly NameChange[]): void {
  setClusterNames(
    db,
    runId,
    [...changes].reverse().map((c) => ({ cluster: c.cluster, className: c.previous })),
  );
}

export type ProposalReason = 'matched' | 'majority' | 'no-evidence';

export interface ClusterProposal {
  cluster: number;
  className: string | null;
  /** 'matched': one-to-one Hungarian match; 'majority': a surplus cluster named after its most frequent label. */
  reason: ProposalReason;
  /** Labelled images in the cluster carrying the proposed class, and labelled images in the cluster. */
  votes: number;
  labelled: number;
}

export interface MappingProposal {
  source: 'few-shot' | 'ground-truth';
  /** Labelled images that are part of the run. */
  evidence: number;
  clusters: ClusterProposal[];
}

/**
 * Proposes a name per cluster from labelled examples: Hungarian matching of clusters to classes on
 * the counts of agreeing examples gives each class its best cluster; clusters left over (K > classes)
 * take their majority label when they hold any labelled example, and stay unnamed otherwise.
 */
export function proposeMapping(k: number, examples: ReadonlyArray<{ cluster: number; className: string }>): ClusterProposal[] {
  const classes = [...new Set(examples.map((e) => e.className))].sort();
  const classIndex = new Map(classes.map((c, i) => [c, i]));
  const counts = Array.from({ length: k }, () => new Array<number>(classes.length).fill(0));
  for (const e of examples) {
    if (e.cluster < 0 || e.cluster >= k) throw new Error(`example in cluster ${e.cluster}, outside 0..${k - 1}`);
    counts[e.cluster][classIndex.get(e.className)!]++;
  }
  const matching = classes.length > 0 ? maxWeightAssignment(counts) : null;
  return counts.map((row, cluster) => {
    const labelled = row.reduce((a, b) => a + b, 0);
    const matched = matching ? matching.rowToCol[cluster] : -1;
    if (matched >= 0 && row[matched] > 0) return { cluster, className: classes[matched], reason: 'matched', votes: row[matched], labelled };
    if (labelled === 0) return { cluster, className: null, reason: 'no-evidence', votes: 0, labelled };
    // Ties go to the alphabetically first class, so the proposal is deterministic.
    let best = 0;
    for (let t = 1; t < row.length; t++) if (row[t] > row[best]) best = t;
    return { cluster, className: classes[best], reason: 'majority', votes: row[best], labelled };
  });
}

/**
 * A proposal from the person's labels that are fair evidence of what a cluster holds: imported labels
 * (a sample the person brought) and accepted ones. Images moved out of a cluster are left out: they were
 * picked because they do NOT belong to it, so counting them would name the cluster after its intruders.
 */
export function proposeMappingFromFewShot(db: Db, runId: number): MappingProposal {
  const examples = fewShotExamples(db, runId);
  return { source: 'few-shot', evidence: examples.length, clusters: proposeMapping(runK(db, runId), examples) };
}

/** A proposal from ground-truth folder labels (images.label), for evaluation and for data that came labelled. */
export function proposeMappingFromGroundTruth(db: Db, runId: number): MappingProposal {
  const examples = groundTruthOfRun(db, runId);
  return { source: 'ground-truth', evidence: examples.length, clusters: proposeMapping(runK(db, runId), examples) };
}

/** Writes a proposal as the run's names (replacing all of them); returns the previous names for undo. */
export function applyProposal(db: Db, runId: number, proposal: MappingProposal): NameChange[] {
  return setClusterNames(
    db,
    runId,
    proposal.clusters.map((c) => ({ cluster: c.cluster, className: c.className })),
  );
}

function runK(db: Db, runId: number): number {
  const run = getRun(db, runId);
  if (!run) throw new Error(`run ${runId} does not exist`);
  return run.k;
}
