// Read-side summaries of the open project: counts, backbones with their embeddings, runs with scores.
import { basename } from 'node:path';
import type { BackboneSummary, ClusteringScores, ProjectSummary, RunSummary } from '../../../preload/contract/api.ts';
import type { Db } from '../../db/connection.ts';
import { clusteringMetrics, type ClusteringMetrics } from '../../pipeline/cluster/metrics.ts';
import { countAssignments, groundTruthOfRun, listRuns, type RunRecord } from '../../db/runs-repo.ts';
import { backboneNames } from '../../db/backbones-repo.ts';
import { classNames } from '../../db/classes-repo.ts';
import { countNamedClusters, countPersonLabels } from '../../db/labels-repo.ts';
import { projectOverview, type ProjectOverview } from '../project-status.ts';
import type { Project } from '../../project/project.ts';
import type { Session } from './session.ts';

export function backboneSummaries(backbones: ProjectOverview['backbones']): BackboneSummary[] {
  return backbones.map(({ record: b, views }) => ({
    id: b.id,
    name: b.name,
    source: b.source,
    inputSize: b.inputSize,
    outputDim: b.outputDim,
    license: b.license,
    views,
  }));
}

/** Ground-truth evaluation of a finished run, memoised until runs or images change; null without labels. */
export function runEvaluation(session: Session, db: Db, runId: number): ClusteringMetrics | null {
  return session.cached(`metrics:${runId}`, ['runs', 'images'], () => {
    const rows = groundTruthOfRun(db, runId);
    if (rows.length === 0) return null;
    return clusteringMetrics(
      rows.map((r) => r.className),
      rows.map((r) => r.cluster),
    );
  });
}

export function scoresOf(m: ClusteringMetrics | null): ClusteringScores | null {
  return m ? { acc: m.acc, nmi: m.nmi, ari: m.ari } : null;
}

export function runSummary(session: Session, db: Db, run: RunRecord, backboneNames: Map<number, string>): RunSummary {
  const counts = session.cached(`run-counts:${run.id}`, ['runs', 'mapping'], () => ({
    images: countAssignments(db, run.id),
    named: countNamedClusters(db, run.id),
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

/** Every run, newest first; `runs` and `names` as the project overview read them, else read here. */
export function runSummaries(session: Session, db: Db, runs: RunRecord[] = listRuns(db), names: Map<number, string> = backboneNames(db)): RunSummary[] {
  return runs.map((r) => runSummary(session, db, r, names));
}

export function projectSummary(session: Session, project: Project): ProjectSummary {
  const db = project.db;
  const overview = projectOverview(db);
  const { counts } = overview;
  const running = new Set(project.jobs.runningJobIds);
  return {
    dir: project.dir,
    name: basename(project.dir),
    imageRoot: project.imageRoot(),
    imageCount: counts.images,
    labelledCount: counts.labelled,
    duplicates: counts.duplicates,
    errors: counts.errors,
    backbones: backboneSummaries(overview.backbones),
    runs: runSummaries(session, db, overview.runs, overview.backboneNames),
    defaultRunId: overview.defaultRun?.id ?? null,
    defaultRunReason: overview.defaultRun?.reason ?? null,
    classes: classNames(db),
    personLabelCount: countPersonLabels(db),
    runningJobs: project.jobs.list(20).filter((j) => running.has(j.id)),
  };
}
