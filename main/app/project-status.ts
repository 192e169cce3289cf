// What a project holds, read once for both views of it: the CLI's status (projectStatus) and the app's
// project summary (services/summary.ts) start from the same projectOverview.
import type { Db } from '../db/connection.ts';
import { getMeta } from '../db/connection.ts';
import { backboneNames, listBackbones, type BackboneRecord } from '../db/backbones-repo.ts';
import { embeddingCounts } from '../db/embeddings-repo.ts';
import { groundTruthLabels, importFailures, projectCounts, type ImportErrorRow, type ProjectCounts } from '../db/images-repo.ts';
import { interruptedJobs } from '../db/jobs-repo.ts';
import { listRuns, type RunRecord } from '../db/runs-repo.ts';
import { defaultRunChoice } from '../pipeline/cluster/default-run.ts';

export type { ProjectCounts } from '../db/images-repo.ts';

export interface ProjectStatus {
  images: number;
  duplicates: number;
  errors: ImportErrorRow[];
  /** backbone name -> view -> number of images with that view embedded. */
  embeddings: Record<string, Record<string, number>>;
  imageRoot: string | null;
  labelledImages: number;
  labels: string[];
  backbones: Array<{ name: string; inputSize: number; outputDim: number; source: string }>;
  runs: Array<{ id: number; method: string; k: number; state: string; backbone: string }>;
  /** The run shown first and acted on when none is named (default-run.ts), and why; null before any finished run. */
  defaultRun: { id: number; reason: string | null } | null;
  interruptedJobs: Array<{ id: number; kind: string; done: number; total: number | null }>;
}

/** The part of a project both the CLI's status and the app's summary show. */
export interface ProjectOverview {
  counts: ProjectCounts;
  /** Backbones by id, each with its stored vectors per view (plain first). */
  backbones: Array<{ record: BackboneRecord; views: Array<{ view: string; count: number }> }>;
  /** Runs, newest first. */
  runs: RunRecord[];
  backboneNames: Map<number, string>;
  defaultRun: { id: number; reason: string | null } | null;
}

/** Backbones by id, each with its stored vectors per view. */
export function backbonesWithViews(db: Db): ProjectOverview['backbones'] {
  return listBackbones(db).map((record) => ({ record, views: embeddingCounts(db, record.id) }));
}

export function projectOverview(db: Db): ProjectOverview {
  const choice = defaultRunChoice(db);
  return {
    counts: projectCounts(db),
    backbones: backbonesWithViews(db),
    runs: listRuns(db),
    backboneNames: backboneNames(db),
    defaultRun: choice.run ? { id: choice.run.id, reason: choice.reason } : null,
  };
}

/** A read-only summary of a project: what was imported, what failed, what is embedded and clustered. */
export function projectStatus(db: Db): ProjectStatus {
  const overview = projectOverview(db);
  const { counts } = overview;
  const embeddings: ProjectStatus['embeddings'] = {};
  for (const { record, views } of overview.backbones) embeddings[record.name] = Object.fromEntries(views.map((v) => [v.view, v.count]));
  return {
    images: counts.images,
    duplicates: counts.duplicates,
    errors: importFailures(db),
    embeddings,
    imageRoot: getMeta(db, 'image_root') ?? null,
    labelledImages: counts.labelled,
    labels: groundTruthLabels(db),
    backbones: overview.backbones.map(({ record: b }) => ({ name: b.name, inputSize: b.inputSize, outputDim: b.outputDim, source: b.source })),
    runs: [...overview.runs]
      .reverse()
      .map((r) => ({ id: r.id, method: r.method, k: r.k, state: r.state, backbone: overview.backboneNames.get(r.backboneId) ?? `#${r.backboneId}` })),
    defaultRun: overview.defaultRun,
    interruptedJobs: interruptedJobs(db),
  };
}
