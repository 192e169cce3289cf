// mapping.*: which class each cluster of a run stands for. Every change returns the entries it
// replaced, so the renderer's undo stack can put them back exactly with mapping.restore.
import type { ClassSummary, ClusterMapping, ClusterNameEntry, MappingApi, MappingChange, MappingProposal } from '../../../preload/contract/api.ts';
import type { Db } from '../../db/connection.ts';
import { proposeMapping, proposeMappingFromGroundTruth, setClusterNames, type MappingProposal as StageProposal } from '../../pipeline/cluster/mapping.ts';
import type { RunRecord } from '../../pipeline/cluster/runs-repo.ts';
import { clusterNames, requireRun } from './clusters.ts';
import type { ServiceContext } from './context.ts';
import { ApiError } from './errors.ts';

export function createMappingService(ctx: ServiceContext): MappingApi {
  const { session } = ctx;

  /** Writes entries in one transaction and announces the change; returns what was there before. */
  const apply = (runId: number, entries: readonly ClusterNameEntry[]): MappingChange => {
    const db = session.requireProject().db;
    const run = requireRun(db, runId);
    for (const e of entries) {
      if (e.cluster >= run.k) throw new ApiError('invalid-argument', `cluster ${e.cluster} is outside 0..${run.k - 1} of run ${runId}`);
    }
    // One write per cluster (the last one wins), so the previous entries restore exactly.
    const last = new Map(entries.map((e) => [e.cluster, e.className]));
    const changes = setClusterNames(db, runId, [...last].map(([cluster, className]) => ({ cluster, className })));
    session.changed(['mapping', 'classes'], runId);
    return { runId, previous: changes.map((c) => ({ cluster: c.cluster, className: c.previous })) };
  };

  return {
    async get({ runId }): Promise<ClusterMapping> {
      const db = session.requireProject().db;
      const run = requireRun(db, runId);
      const names = clusterNames(db, runId);
      return { runId, k: run.k, clusters: Array.from({ length: run.k }, (_, cluster) => ({ cluster, className: names.get(cluster) ?? null })) };
    },

    async setClusterName({ runId, cluster, className }) {
      return apply(runId, [{ cluster, className }]);
    },

    async setMany({ runId, clusters, className }) {
      return apply(runId, [...new Set(clusters)].map((cluster) => ({ cluster, className })));
    },

    async propose({ runId, from }): Promise<MappingProposal> {
      const db = session.requireProject().db;
      const run = requireRun(db, runId);
      return toContractProposal(run, from === 'ground-truth' ? proposeMappingFromGroundTruth(db, runId) : proposeFromPersonLabels(db, run));
    },

    async accept({ runId, proposal }) {
      if (proposal.runId !== runId) throw new ApiError('invalid-argument', `the proposal is for run ${proposal.runId}, not run ${runId}`);
      // Clusters the proposal has no name for keep theirs.
      return apply(
        runId,
        proposal.entries.filter((e) => e.className !== null).map((e) => ({ cluster: e.cluster, className: e.className })),
      );
    },

    async restore({ runId, entries }) {
      return apply(runId, entries);
    },

    async classes(params): Promise<ClassSummary[]> {
      const db = session.requireProject().db;
      const runId = params?.runId ?? null;
      const rows = db
        .prepare(
          `SELECT k.name AS name,
             (SELECT COUNT(*) FROM cluster_names n WHERE n.class_name = k.name AND n.run_id = ?) AS clusters,
             (SELECT COUNT(*) FROM corrections c WHERE c.class_name = k.name) AS corrections
           FROM classes k ORDER BY k.name`,
        )
        .all(runId) as ClassSummary[];
      return rows;
    },
  };
}

/**
 * Few-shot evidence is every image a person labelled: few-shot labels and corrections to a class
 * (a correction wins where both exist).
 */
function proposeFromPersonLabels(db: Db, run: RunRecord): StageProposal {
  const examples = db
    .prepare(
      `SELECT a.cluster AS cluster, COALESCE(c.class_name, f.class_name) AS className
       FROM assignments a LEFT JOIN corrections c ON c.image_id = a.image_id LEFT JOIN few_shot_labels f ON f.image_id = a.image_id
       WHERE a.run_id = ? AND COALESCE(c.class_name, f.class_name) IS NOT NULL`,
    )
    .all(run.id) as Array<{ cluster: number; className: string }>;
  return { source: 'few-shot', evidence: examples.length, clusters: proposeMapping(run.k, examples) };
}

function toContractProposal(run: RunRecord, p: StageProposal): MappingProposal {
  if (p.evidence === 0) {
    throw new ApiError(
      'invalid-argument',
      p.source === 'ground-truth'
        ? 'these images carry no ground-truth labels (import with labels from folder names to use them)'
        : 'no image of this run has been labelled by hand yet: move a few images to their class first',
    );
  }
  return {
    runId: run.id,
    from: p.source,
    evidence: p.evidence,
    entries: p.clusters.map((c) => ({ cluster: c.cluster, className: c.className, support: c.labelled > 0 ? c.votes / c.labelled : 0 })),
  };
}
