// Read-side summaries of the open project: counts, backbones with their embeddings, runs with scores.
import { basename } from 'node:path';
import type { BackboneSummary, ClusteringScores, ProjectSummary, RunSummary } from '../../../preload/contract/api.ts';
import type { Db } from '../../db/connection.ts';
import { embeddingCounts } from '../../db/embeddings-repo.ts';
import { clusteringMetrics, type ClusteringMetrics } from '../../pipeline/cluster/metrics.ts';
import { listRuns, type RunRecord } from '../../db/runs-repo.ts';
import { defaultRunChoice } from '../../pipeline/cluster/default-run.ts';
import { projectCounts } from '../project-status.ts';
import type { Project } from '../../project/project.ts';
import type { Session } from './session.ts';

export function backboneSummaries(db: Db): BackboneSummary[] {
  const rows = db
    .prepare('SELECT id, name, source, input_size, output_dim, license FROM backbones ORDER BY id')
    .all() as Array<{ id: number; name: string; source: BackboneSummary['source']; input_size: number; output_dim: number; license: string | null }>;
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    source: r.source,
    inputSize: r.input_size,
    outputDim: r.output_dim,
    license: r.license,
    views: embeddingCounts(db, r.id),
  }));
}

/** Ground-truth evaluation of a finished run, memoised until runs or images change; null without labels. */
export function runEvaluation(session: Session, db: Db, runId: number): ClusteringMetrics | null {
  return session.cached(`metrics:${runId}`, ['runs', 'images'], () => {
    const rows = db
      .prepare('SELECT a.cluster AS cluster, i.label AS label FROM assignments a JOIN images i ON i.id = a.image_id WHERE a.run_id = ? AND i.label IS NOT NULL')
      .raw()
      .all(runId) as Array<[number, string]>;
    if (rows.length === 0) return null;
    return clusteringMetrics(
      rows.map((r) => r[1]),
      rows.map((r) => r[0]),
    );
  });
}

export function scoresOf(m: ClusteringMetrics | null): ClusteringScores | null {
  return m ? { acc: m.acc, nmi: m.nmi, ari: m.ari } : null;
}

export function runSummary(session: Session, db: Db, run: RunRecord, backboneNames: Map<number, string>): RunSummary {
  const counts = session.cached(`run-counts:${run.id}`, ['runs', 'mapping'], () => ({
    images: (db.prepare('SELECT COUNT(*) AS n FROM assignments WHERE run_id = ?').get(run.id) as { n: number }).n,
    named: (db.prepare('SELECT COUNT(*) AS n FROM cluster_names WHERE run_id = ? AND class_name IS NOT NULL').get(run.id) as { n: number }).n,
  }));
  return {
    id: run.id,
    method: run.method,
    backboneId: run.backboneId,
    backboneName: backboneNames.get(run.backboneId) ?? `#${run.backboneId}`,
    k: run.k,
    seed: run.seed,
    state: run.state,
    createdAt: run.createdAt,
    finishedAt: run.finishedAt,
    imageCount: counts.images,
    namedClusters: counts.named,
    scores: run.state === 'done' ? scoresOf(runEvaluation(session, db, run.id)) : null,
    timings: run.timings,
    params: run.params,
    namesFrom: run.namesFrom,
  };
}

export function runSummaries(session: Session, db: Db): RunSummary[] {
  const names = new Map((db.prepare('SELECT id, name FROM backbones').all() as Array<{ id: number; name: string }>).map((r) => [r.id, r.name]));
  return listRuns(db).map((r) => runSummary(session, db, r, names));
}

function defaultRunOf(db: Db): Pick<ProjectSummary, 'defaultRunId' | 'defaultRunReason'> {
  const choice = defaultRunChoice(db);
  return { defaultRunId: choice.run?.id ?? null, defaultRunReason: choice.reason };
}

export function projectSummary(session: Session, project: Project): ProjectSummary {
  const db = project.db;
  const counts = projectCounts(db);
  const running = new Set(project.jobs.runningJobIds);
  return {
    dir: project.dir,
    name: basename(project.dir),
    imageRoot: project.imageRoot(),
    imageCount: counts.images,
    labelledCount: counts.labelled,
    duplicates: counts.duplicates,
    errors: counts.errors,
    backbones: backboneSummaries(db),
    runs: runSummaries(session, db),
    ...defaultRunOf(db),
    classes: (db.prepare('SELECT name FROM classes ORDER BY name').pluck().all() as string[]),
    personLabelCount: (db.prepare('SELECT COUNT(*) AS n FROM person_labels').get() as { n: number }).n,
    runningJobs: project.jobs.list(20).filter((j) => running.has(j.id)),
  };
}
