// clusters.*: the cluster grid. Pure reads on indexed SQL, so a 10,000-image run pages in milliseconds.
import type { ClusterCard, ClusterImagesParams, ClustersApi, ImagePage, ImageRow } from '../../../preload/contract/api.ts';
import type { Db } from '../../db/connection.ts';
import { getRun, type RunRecord } from '../../pipeline/cluster/runs-repo.ts';
import type { ServiceContext } from './context.ts';
import { ApiError } from './errors.ts';
import { FINAL_LABEL, FINAL_LABEL_JOINS } from './final-label-sql.ts';

const DEFAULT_SAMPLES = 8;

export function createClustersService(ctx: ServiceContext): ClustersApi {
  const { session } = ctx;
  return {
    async overview({ runId, samples }) {
      const db = session.requireProject().db;
      const run = requireRun(db, runId);
      const stats = db
        .prepare(
          `SELECT cluster, COUNT(*) AS size, AVG(confidence) AS mean_confidence, AVG(reliable) AS reliable_share
           FROM assignments WHERE run_id = ? GROUP BY cluster`,
        )
        .all(runId) as Array<{ cluster: number; size: number; mean_confidence: number; reliable_share: number }>;
      const byCluster = new Map(stats.map((s) => [s.cluster, s]));
      const names = clusterNames(db, runId);
      const sampleStmt = db.prepare('SELECT image_id FROM assignments WHERE run_id = ? AND cluster = ? ORDER BY confidence DESC, image_id LIMIT ?').pluck();
      const n = samples ?? DEFAULT_SAMPLES;
      const cards: ClusterCard[] = [];
      let total = 0;
      for (let cluster = 0; cluster < run.k; cluster++) {
        const s = byCluster.get(cluster);
        total += s?.size ?? 0;
        cards.push({
          cluster,
          size: s?.size ?? 0,
          meanConfidence: s?.mean_confidence ?? 0,
          reliableShare: s?.reliable_share ?? 0,
          className: names.get(cluster) ?? null,
          sampleImageIds: n > 0 && s ? (sampleStmt.all(runId, cluster, n) as number[]) : [],
        });
      }
      return { runId, method: run.method, k: run.k, total, cards };
    },

    async images(params) {
      const db = session.requireProject().db;
      requireRun(db, params.runId);
      return imagePage(db, params);
    },
  };
}

export function requireRun(db: Db, runId: number): RunRecord {
  const run = getRun(db, runId);
  if (!run) throw new ApiError('not-found', `run ${runId} does not exist`);
  return run;
}

export function clusterNames(db: Db, runId: number): Map<number, string> {
  const rows = db.prepare('SELECT cluster, class_name FROM cluster_names WHERE run_id = ? AND class_name IS NOT NULL').all(runId) as Array<{
    cluster: number;
    class_name: string;
  }>;
  return new Map(rows.map((r) => [r.cluster, r.class_name]));
}

interface ImageRowSql {
  image_id: number;
  cluster: number;
  confidence: number;
  doubt: number;
  reliable: number;
  final_label: string | null;
  corrected: number;
  outlier: number;
}

export const IMAGE_ROW_COLUMNS = `a.image_id, a.cluster, a.confidence, a.doubt, a.reliable, ${FINAL_LABEL} AS final_label,
  (c.image_id IS NOT NULL AND c.outlier = 0) AS corrected, COALESCE(c.outlier, 0) AS outlier`;

export function toImageRow(r: ImageRowSql): ImageRow {
  return {
    imageId: r.image_id,
    cluster: r.cluster,
    confidence: r.confidence,
    doubt: r.doubt,
    reliable: r.reliable === 1,
    className: r.final_label,
    corrected: r.corrected === 1,
    outlier: r.outlier === 1,
  };
}

function imagePage(db: Db, p: ClusterImagesParams): ImagePage {
  let where: string;
  const args: Array<number | string> = [p.runId];
  if (p.cluster !== undefined) {
    where = 'a.cluster = ?';
    args.push(p.cluster);
  } else if (p.className !== undefined) {
    where = `${FINAL_LABEL} = ?`;
    args.push(p.className);
  } else {
    where = 'c.outlier = 1';
  }
  // The (run_id, cluster, confidence) index serves the cluster grid sorted by confidence directly.
  const order = p.sort === 'confidence' ? 'a.confidence DESC, a.image_id' : 'a.doubt DESC, a.image_id';
  const from = `FROM assignments a ${FINAL_LABEL_JOINS} WHERE a.run_id = ? AND ${where}`;
  const total = (db.prepare(`SELECT COUNT(*) AS n ${from}`).get(...args) as { n: number }).n;
  const rows = db.prepare(`SELECT ${IMAGE_ROW_COLUMNS} ${from} ORDER BY ${order} LIMIT ? OFFSET ?`).all(...args, p.limit, p.offset) as ImageRowSql[];
  return { total, offset: p.offset, items: rows.map(toImageRow) };
}
