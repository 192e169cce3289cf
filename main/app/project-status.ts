import type { Db } from '../db/connection.ts';
import { getMeta } from '../db/connection.ts';
import { defaultRunChoice } from '../pipeline/cluster/default-run.ts';

export interface ProjectStatus {
  images: number;
  duplicates: number;
  errors: Array<{ path: string; reason: string; detail: string | null }>;
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

/** The counts the CLI's status and the app's project summary both show. */
export interface ProjectCounts {
  images: number;
  /** Images with a ground-truth (folder) label. */
  labelled: number;
  duplicates: number;
  /** Files not imported for another reason than being a duplicate. */
  errors: number;
}

export function projectCounts(db: Db): ProjectCounts {
  const count = (sql: string) => (db.prepare(sql).get() as { n: number }).n;
  return {
    images: count('SELECT COUNT(*) AS n FROM images'),
    labelled: count('SELECT COUNT(*) AS n FROM images WHERE label IS NOT NULL'),
    duplicates: count(`SELECT COUNT(*) AS n FROM import_errors WHERE reason = 'duplicate'`),
    errors: count(`SELECT COUNT(*) AS n FROM import_errors WHERE reason <> 'duplicate'`),
  };
}

/** A read-only summary of a project: what was imported, what failed, what is embedded and clustered. */
export function projectStatus(db: Db): ProjectStatus {
  const counts = projectCounts(db);
  const errorRows = db
    .prepare(`SELECT rel_path AS path, reason, detail FROM import_errors WHERE reason <> 'duplicate' ORDER BY rel_path`)
    .all() as ProjectStatus['errors'];
  const embeddings: ProjectStatus['embeddings'] = {};
  const embRows = db
    .prepare(
      `SELECT b.name AS backbone, e.view AS view, COUNT(*) AS n
       FROM embeddings e JOIN backbones b ON b.id = e.backbone_id
       GROUP BY e.backbone_id, e.view ORDER BY b.name, e.view`,
    )
    .all() as Array<{ backbone: string; view: string; n: number }>;
  for (const r of embRows) (embeddings[r.backbone] ??= {})[r.view] = r.n;
  const backbones = db
    .prepare('SELECT name, input_size AS inputSize, output_dim AS outputDim, source FROM backbones ORDER BY id')
    .all() as ProjectStatus['backbones'];
  for (const b of backbones) embeddings[b.name] ??= {};
  const choice = defaultRunChoice(db);
  return {
    images: counts.images,
    duplicates: counts.duplicates,
    errors: errorRows,
    embeddings,
    imageRoot: getMeta(db, 'image_root') ?? null,
    labelledImages: counts.labelled,
    labels: (db.prepare('SELECT DISTINCT label FROM images WHERE label IS NOT NULL ORDER BY label').all() as Array<{ label: string }>).map((r) => r.label),
    backbones,
    runs: db
      .prepare(`SELECT r.id, r.method, r.k, r.state, b.name AS backbone FROM runs r JOIN backbones b ON b.id = r.backbone_id ORDER BY r.id`)
      .all() as ProjectStatus['runs'],
    defaultRun: choice.run ? { id: choice.run.id, reason: choice.reason } : null,
    interruptedJobs: db
      .prepare(`SELECT id, kind, done, total FROM jobs WHERE state = 'interrupted' AND id NOT IN (SELECT resumed_from FROM jobs WHERE resumed_from IS NOT NULL) ORDER BY id`)
      .all() as ProjectStatus['interruptedJobs'],
  };
}
