// clusters.*: the cluster grid. Pure reads on indexed SQL (the run_labels view over assignments, person
// labels and cluster names), so a 10,000-image run pages in milliseconds.
import type { ClusterCard, ClusterImagesParams, ClustersApi, ImagePage, ImageRow } from '../../../preload/contract/api.ts';
import type { Db } from '../../db/connection.ts';
import { namedClusters } from '../../db/labels-repo.ts';
import { clusterStats, selectRows, type RowSelector, type RunLabelRow } from '../../db/run-labels-repo.ts';
import { getRun, mostConfidentImages, type RunRecord } from '../../db/runs-repo.ts';
import type { ServiceContext } from './context.ts';
import { ApiError } from './api-errors.ts';
import type { Session } from './session.ts';

const DEFAULT_SAMPLES = 8;

export function createClustersService(ctx: ServiceContext): ClustersApi {
  const { session } = ctx;
  return {
    async overview({ runId, samples }) {
      const db = session.requireProject().db;
      const run = requireRun(db, runId);
      const stats = clusterStats(db, runId);
      const byCluster = new Map(stats.map((s) => [s.cluster, s]));
      const names = clusterNames(db, runId);
      const n = samples ?? DEFAULT_SAMPLES;
      const cards: ClusterCard[] = [];
      let total = 0;
      for (let cluster = 0; cluster < run.k; cluster++) {
        const s = byCluster.get(cluster);
        total += s?.size ?? 0;
        const className = names.get(cluster) ?? null;
        cards.push({
          cluster,
          size: s?.size ?? 0,
          meanConfidence: s?.meanConfidence ?? 0,
          reliableShare: s?.reliableShare ?? 0,
          className,
          sampleImageIds: n > 0 && s ? mostConfidentImages(db, runId, cluster, n) : [],
          isNew: run.namesFrom !== null && className === null,
          reviewed: s?.reviewed ?? 0,
        });
      }
      return { runId, method: run.method, k: run.k, total, cards };
    },

    async images(params) {
      return readClusterImages(session.requireProject().db, params, (run) => relaxedClusters(session, run));
    },
  };
}

/**
 * A page of a run's images for the grid. Reads only, so any handle on the project answers it: the
 * services' own, or the image reader's read-only one while the services are busy with a job.
 */
export function readClusterImages(db: Db, params: ClusterImagesParams, relaxedOf: (run: RunRecord) => ReadonlySet<number> = relaxedClustersOf): ImagePage {
  const run = requireRun(db, params.runId);
  const relaxed = relaxedOf(run);
  const page = selectRows(db, run.id, selectorOf(params), params);
  return { total: page.total, offset: params.offset, items: page.rows.map((r) => toImageRow(r, relaxed)) };
}

export function requireRun(db: Db, runId: number): RunRecord {
  const run = getRun(db, runId);
  if (!run) throw new ApiError('not-found', `run ${runId} does not exist`);
  return run;
}

export function clusterNames(db: Db, runId: number): Map<number, string> {
  return new Map(namedClusters(db, runId).map((r) => [r.cluster, r.className]));
}

/** Clusters whose reliable samples were taken at relaxed thresholds (from the run's report). */
export function relaxedClusters(session: Session, run: RunRecord): ReadonlySet<number> {
  return session.cached(`relaxed:${run.id}`, ['runs'], () => relaxedClustersOf(run));
}

function relaxedClustersOf(run: RunRecord): ReadonlySet<number> {
  const perCluster = (run.report?.reliable as { perCluster?: Array<{ cluster: number; rule: string }> } | undefined)?.perCluster ?? [];
  return new Set(perCluster.filter((c) => c.rule !== 'default').map((c) => c.cluster));
}

/** A run_labels row as the contract's grid row. */
export function toImageRow(r: RunLabelRow, relaxed: ReadonlySet<number>): ImageRow {
  const reliable = r.reliable === 1;
  return {
    imageId: r.imageId,
    cluster: r.cluster,
    confidence: r.confidence,
    doubt: r.doubt,
    reliable,
    relaxed: reliable && relaxed.has(r.cluster),
    className: r.finalLabel,
    predicted: r.predicted,
    source: r.person === 1 ? 'person' : 'model',
    origin: r.person === 1 ? r.origin : null,
    corrected: r.corrected === 1,
    outlier: r.outlier === 1,
  };
}

function selectorOf(p: ClusterImagesParams): RowSelector {
  if (p.cluster !== undefined) return { cluster: p.cluster };
  if (p.className !== undefined) return { className: p.className };
  if (p.imageIds !== undefined) return { imageIds: p.imageIds };
  return { outliers: true };
}
