// The whole pipeline in one go (import -> embed plain view and view bank -> k-means -> SPICE), shared by
// `spice-workbench run`, the demo and the app's "Run pipeline" so all three do exactly the same work.
// Run again with nothing changed, it adds nothing: import and embedding skip what is stored, and a
// finished k-means or SPICE run with the same settings on the same embedded images is reused.
import type { Project } from '../project/project.ts';
import { DEFAULT_SEED } from '../base/random.ts';
import { importFolder, type ImportSummary } from '../pipeline/import/import-job.ts';
import { embedProject, type EmbedSummary } from '../pipeline/embed/embed-job.ts';
import type { ViewCounts } from '../pipeline/embed/views.ts';
import { DEFAULT_MAX_ITER, DEFAULT_RESTARTS, runKmeans } from '../pipeline/cluster/run-kmeans.ts';
import { runSpice } from '../pipeline/cluster/spice.ts';
import { resolveSpiceSettings, type SpiceSettingsOptions } from '../pipeline/cluster/spice-settings.ts';
import { embeddedInputsDigest, findReusableRun, recordRunInputs } from './run-reuse.ts';

/** The registry's MobileNet v1, recommended for small images. */
export const DEFAULT_BACKBONE = 'mobilenet_v1_imagenet';
/**
 * The view bank SPICE trains on: 2 weak + 2 strong random augmentations (SPICE.md section 2) and the 4
 * deterministic views (greyscale, mirror, centre zoom, greyscale zoom), which measured clearly better
 * than a larger random bank.
 */
export const DEFAULT_BANK_VIEWS: ViewCounts = { weak: 2, strong: 2, fixed: 4 };

export const PIPELINE_STAGES = ['import', 'embed', 'kmeans', 'spice'] as const;
export type PipelineStage = (typeof PIPELINE_STAGES)[number];

export interface FullPipelineOptions {
  /** Folder to import first; null skips the import (the project already holds its images). */
  imageFolder: string | null;
  labelsFromFolders?: boolean;
  backbone?: string;
  size?: number;
  views?: ViewCounts;
  k: number;
  seed?: number;
  spice?: SpiceSettingsOptions;
  signal?: AbortSignal;
  /** Called as each stage starts, with its index in PIPELINE_STAGES. */
  onStage?: (stage: PipelineStage, index: number) => void;
}

export interface FullPipelineResult {
  imported: ImportSummary | null;
  embedded: EmbedSummary;
  kmeansRunId: number;
  spiceRunId: number;
  /** Stages whose run was an earlier one with the same settings and inputs, not computed again. */
  reused: Array<'kmeans' | 'spice'>;
  /** Wall-clock seconds per stage. */
  seconds: Partial<Record<PipelineStage, number>>;
}

export async function runFullPipeline(project: Project, options: FullPipelineOptions): Promise<FullPipelineResult> {
  const { signal } = options;
  const seed = options.seed ?? DEFAULT_SEED;
  const seconds: FullPipelineResult['seconds'] = {};
  const stage = async <T>(name: PipelineStage, work: () => Promise<T>): Promise<T> => {
    options.onStage?.(name, PIPELINE_STAGES.indexOf(name));
    const t0 = performance.now();
    const result = await work();
    seconds[name] = (performance.now() - t0) / 1000;
    return result;
  };
  const folder = options.imageFolder;
  const imported = folder === null ? null : await stage('import', () => importFolder(project, folder, { labelsFromFolders: options.labelsFromFolders ?? false, signal }));
  const embedded = await stage('embed', () =>
    embedProject(project, { backbone: options.backbone ?? DEFAULT_BACKBONE, size: options.size, views: options.views ?? DEFAULT_BANK_VIEWS, seed, signal }),
  );
  const backbone = embedded.backboneName;
  const { k } = options;
  const inputs = embeddedInputsDigest(project.db, embedded.backboneId);
  const reused: FullPipelineResult['reused'] = [];
  /** An earlier finished run with these settings on these inputs, else a new one computed by `run`. */
  const reuseOr = async (name: 'kmeans' | 'spice', params: Record<string, unknown> | null, run: () => Promise<number>): Promise<number> => {
    const earlier = params && findReusableRun(project.db, { method: name, backboneId: embedded.backboneId, k, seed, params, inputs });
    if (earlier) {
      options.onStage?.(name, PIPELINE_STAGES.indexOf(name));
      reused.push(name);
      return earlier;
    }
    const runId = await stage(name, run);
    recordRunInputs(project.db, runId, inputs);
    return runId;
  };
  // The parameters each method stores for its run (see run-kmeans.ts and spice.ts).
  const kmeansParams = { restarts: DEFAULT_RESTARTS, maxIter: DEFAULT_MAX_ITER, view: 'plain' };
  const kmeansRunId = await reuseOr('kmeans', kmeansParams, () => runKmeans(project, { backbone, k, seed, signal }));
  const spiceParams = spiceRunParams(options.spice ?? {});
  const spiceRunId = await reuseOr('spice', spiceParams, () => runSpice(project, { ...options.spice, backbone, k, seed, signal }));
  return { imported, embedded, kmeansRunId, spiceRunId, reused, seconds };
}

/** The settings runSpice stores for these options; null when they are invalid (runSpice then says why). */
function spiceRunParams(options: NonNullable<FullPipelineOptions['spice']>): Record<string, unknown> | null {
  try {
    return { ...resolveSpiceSettings(options) };
  } catch {
    return null;
  }
}
