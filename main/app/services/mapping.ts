// mapping.*: which class each cluster of a run stands for. Every change returns the entries it
// replaced, so the renderer's undo stack can put them back exactly with mapping.restore.
import type { ClusterMapping, ClusterNameEntry, MappingApi, MappingChange, MappingProposal } from '../../../preload/contract/api.ts';
import {
  proposeMappingFromFewShot,
  proposeMappingFromGroundTruth,
  setClusterNames,
  type MappingProposal as StageProposal,
} from '../../pipeline/cluster/cluster-names.ts';
import type { RunRecord } from '../../db/runs-repo.ts';
import { clusterNames, requireRun } from './clusters.ts';
import type { ServiceContext } from './context.ts';
import { ApiError } from './api-errors.ts';

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
    const changes = setClusterNames(
      db,
      runId,
      [...last].map(([cluster, className]) => ({ cluster, className })),
    );
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
      return apply(
        runId,
        [...new Set(clusters)].map((cluster) => ({ cluster, className })),
      );
    },

    async propose({ runId, from }): Promise<MappingProposal> {
      const db = session.requireProject().db;
      const run = requireRun(db, runId);
      return toContractProposal(run, from === 'ground-truth' ? proposeMappingFromGroundTruth(db, runId) : proposeMappingFromFewShot(db, runId));
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
  };
}

function toContractProposal(run: RunRecord, p: StageProposal): MappingProposal {
  if (p.evidence === 0) {
    throw new ApiError(
      'invalid-argument',
      p.source === 'ground-truth'
        ? 'these images carry no ground-truth labels (import with labels from folder names to use them)'
        : 'no image of this run has an imported or accepted label yet: import a few labelled images (labels import) or accept images as shown, then ask again',
    );
  }
  return {
    runId: run.id,
    from: p.source,
    evidence: p.evidence,
    entries: p.clusters.map((c) => ({ cluster: c.cluster, className: c.className, support: c.labelled > 0 ? c.votes / c.labelled : 0 })),
  };
}
