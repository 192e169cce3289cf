// The whole pipeline in one go (import -> embed plain view and view bank -> k-means -> SPICE), shared by
// `spice-workbench run`, the demo and the app's "Run pipeline" so all three do exactly the same work.
import type { Project } from './project.ts';
import { importFolder, type ImportSummary } from '../pipeline/import/index.ts';
import { embedProject, type EmbedSummary } from '../pipeline/embed/index.ts';
import type { ViewCounts } from '../pipeline/embed/views.ts';
import { runKmeans } from '../pipeline/cluster/run-kmeans.ts';
import { runSpice, type SpiceOptions } from '../pipeline/cluster/spice.ts';

/** The registry's MobileNet v1, recommended for small images. */
export const DEFAULT_BACKBONE = 'mobilenet_v1_imagenet';
/**
 * The view bank SPICE trains on: 2 weak + 2 strong random augmentations (SPICE.md section 2) and the 4
 * deterministic views (greyscale, mirror, centre zoom, greyscale zoom), which measured clearly better
 * than a larger random bank.
 */
export const DEFAULT_BANK_VIEWS: ViewCounts = { weak: 2, strong: 2, fixed: 4 };
export const DEFAULT_SEED = 0;

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
  spice?: Partial<Omit<SpiceOptions, 'backbone' | 'k' | 'seed' | 'signal'>>;
  signal?: AbortSignal;
  /** Called as each stage starts, with its index in PIPELINE_STAGES. */
  onStage?: (stage: PipelineStage, index: number) => void;
}

export interface FullPipelineResult {
  imported: ImportSummary | null;
  embedded: EmbedSummary;
  kmeansRunId: number;
  spiceRunId: number;
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
  const kmeansRunId = await stage('kmeans', () => runKmeans(project, { backbone, k: options.k, seed, signal }));
  const spiceRunId = await stage('spice', () => runSpice(project, { ...options.spice, backbone, k: options.k, seed, signal }));
  return { imported, embedded, kmeansRunId, spiceRunId, seconds };
}
