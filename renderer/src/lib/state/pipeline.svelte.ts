// The pipeline screen: stage parameters (remembered per project), starting and cancelling jobs.
import * as v from 'valibot';
import type { AvailableBackbone, SpiceSettings, StartAllParams, ViewCounts } from '$contract/api.ts';
import { int, type Range } from '$contract/checks.ts';
import { KSchema, LIMITS, SeedSchema, SizeSchema } from '$contract/params.ts';
import type { AppState } from './app.svelte.ts';
import { errorMessage } from '../util/format.ts';

export interface PipelineParams {
  backbone: string;
  size: number;
  weakViews: number;
  strongViews: number;
  /** Deterministic views (greyscale, mirror, centre zoom, greyscale zoom), the first 0..4 of them. */
  fixedViews: number;
  k: number;
  seed: number;
  method: 'spice' | 'kmeans';
  /** SPICE settings; null (or an empty field) = the service's default. */
  spiceQuick: boolean;
  spiceEpochs: number | null;
  spiceHeads: number | null;
  spiceBatchSize: number | null;
  spiceSemiEpochs: number | null;
}

export const DEFAULT_PARAMS: PipelineParams = {
  backbone: '',
  size: 128,
  weakViews: 2,
  strongViews: 2,
  fixedViews: 4,
  k: 10,
  seed: 0,
  method: 'spice',
  spiceQuick: false,
  spiceEpochs: null,
  spiceHeads: null,
  spiceBatchSize: null,
  spiceSemiEpochs: null,
};

/** The SPICE overrides the user set, or undefined when every field is left at its default. */
export function spiceSettings(p: PipelineParams): SpiceSettings | undefined {
  const out: SpiceSettings = {};
  if (p.spiceQuick) out.quick = true;
  if (p.spiceEpochs != null) out.epochs = p.spiceEpochs;
  if (p.spiceHeads != null) out.heads = p.spiceHeads;
  if (p.spiceBatchSize != null) out.batchSize = p.spiceBatchSize;
  if (p.spiceSemiEpochs != null) out.semiEpochs = p.spiceSemiEpochs;
  return Object.keys(out).length > 0 ? out : undefined;
}

/** '2 to 1,000', from the contract's limit. */
function between(r: Range): string {
  return `${r.min.toLocaleString('en')} to ${r.max.toLocaleString('en')}`;
}

/** An integer field checked by the contract's own schema for it; null or empty = the default. */
function intIn(r: Range, value: number | null | undefined, orEmpty = false): boolean {
  return (orEmpty && value == null) || v.is(int(r), value);
}
export const INPUT_SIZES = [32, 64, 96, 128, 160, 192, 224, 256];
/** greyscale, mirror, centre zoom, greyscale zoom (main/pipeline/embed/fixed-views.ts). */
export const MAX_FIXED_VIEWS = LIMITS.fixedViews.max;
/** Weak or strong views per image. */
export const MAX_VIEWS = LIMITS.views.max;

/** The view bank the embed stage gets from the screen's fields. */
export function viewCounts(p: PipelineParams): ViewCounts {
  return { weak: p.weakViews, strong: p.strongViews, fixed: p.fixedViews };
}

export function validateParams(p: PipelineParams): Partial<Record<keyof PipelineParams, string>> {
  const e: Partial<Record<keyof PipelineParams, string>> = {};
  if (!p.backbone) e.backbone = 'Choose a backbone';
  // The input sizes offered are multiples of 32 (the backbones' stride); the contract takes any size in range.
  if (!v.is(SizeSchema, p.size) || p.size % 32 !== 0) e.size = `A multiple of 32, ${between(LIMITS.size)}`;
  if (!v.is(KSchema, p.k)) e.k = between(LIMITS.k);
  if (!v.is(SeedSchema, p.seed)) e.seed = `A whole number, ${between(LIMITS.seed)}`;
  if (!intIn(LIMITS.views, p.weakViews)) e.weakViews = between(LIMITS.views);
  if (!intIn(LIMITS.views, p.strongViews)) e.strongViews = between(LIMITS.views);
  if (!intIn(LIMITS.fixedViews, p.fixedViews)) e.fixedViews = between(LIMITS.fixedViews);
  if (p.method === 'spice' && (p.weakViews < 1 || p.strongViews < 1)) e.strongViews = 'SPICE needs at least 1 weak and 1 strong view';
  if (!intIn(LIMITS.epochs, p.spiceEpochs, true)) e.spiceEpochs = `${between(LIMITS.epochs)}, or empty`;
  if (!intIn(LIMITS.heads, p.spiceHeads, true)) e.spiceHeads = `${between(LIMITS.heads)}, or empty`;
  if (!intIn(LIMITS.batchSize, p.spiceBatchSize, true)) e.spiceBatchSize = `${between(LIMITS.batchSize)}, or empty`;
  if (!intIn(LIMITS.semiEpochs, p.spiceSemiEpochs, true)) e.spiceSemiEpochs = `${between(LIMITS.semiEpochs)}, or empty`;
  return e;
}

export class PipelineState {
  params: PipelineParams = $state({ ...DEFAULT_PARAMS });
  available: AvailableBackbone[] = $state([]);
  busy = $state(false);
  error: string | null = $state(null);
  private loadedFor = '';

  readonly errors = $derived(validateParams(this.params));
  readonly valid = $derived(Object.keys(this.errors).length === 0);

  constructor(private readonly app: AppState) {}

  private storageKey(): string {
    return `spice.pipeline.${this.app.project?.dir ?? ''}`;
  }

  async load(): Promise<void> {
    const key = this.storageKey();
    if (key === this.loadedFor) return;
    this.loadedFor = key;
    const saved = localStorage.getItem(key);
    if (saved) {
      try {
        this.params = { ...DEFAULT_PARAMS, ...(JSON.parse(saved) as Partial<PipelineParams>) };
      } catch {
        this.params = { ...DEFAULT_PARAMS };
      }
    }
    try {
      this.available = await this.app.bridge.call('backbones.available');
      if (!this.params.backbone || !this.available.some((b) => b.spec === this.params.backbone)) {
        const pick = this.available.find((b) => b.present) ?? this.available[0];
        if (pick) {
          this.params.backbone = pick.spec;
          if (pick.recommendedSize) this.params.size = pick.recommendedSize;
        }
      }
    } catch (err) {
      this.error = `Could not list backbones: ${errorMessage(err)}`;
    }
  }

  save(): void {
    localStorage.setItem(this.storageKey(), JSON.stringify(this.params));
  }

  chooseBackbone(spec: string): void {
    this.params.backbone = spec;
    const b = this.available.find((x) => x.spec === spec);
    if (b?.recommendedSize) this.params.size = b.recommendedSize;
    this.save();
  }

  private async start(what: string, fn: () => Promise<{ jobId: number }>): Promise<number | null> {
    this.busy = true;
    this.error = null;
    try {
      const { jobId } = await fn();
      this.save();
      return jobId;
    } catch (err) {
      this.error = `${what}: ${errorMessage(err)}`;
      this.app.toasts.error(this.error);
      return null;
    } finally {
      this.busy = false;
    }
  }

  runAll(): Promise<number | null> {
    const p = this.params;
    const params: StartAllParams = {
      backbone: p.backbone,
      size: p.size,
      views: viewCounts(p),
      k: p.k,
      seed: p.seed,
    };
    const spice = spiceSettings(p);
    if (spice) params.spice = spice;
    return this.start('Run pipeline', () => this.app.bridge.call('pipeline.startAll', params));
  }

  /** Rescans the project's image folder; keeps taking labels from folder names when the project does. */
  runImport(labelsFromFolders: boolean): Promise<number | null> {
    return this.start('Import', () => this.app.bridge.call('pipeline.startImport', { labelsFromFolders }));
  }

  runEmbed(): Promise<number | null> {
    const p = this.params;
    return this.start('Embed', () => this.app.bridge.call('pipeline.startEmbed', { backbone: p.backbone, size: p.size, views: viewCounts(p) }));
  }

  runCluster(method: 'spice' | 'kmeans' = this.params.method): Promise<number | null> {
    const p = this.params;
    const name = this.available.find((b) => b.spec === p.backbone)?.name;
    // Only a backbone that already has embeddings in this project; else the service picks one.
    const backbone = this.app.project?.backbones.find((b) => b.name === name)?.name;
    return this.start(method === 'spice' ? 'SPICE' : 'k-means', () =>
      this.app.bridge.call('pipeline.startCluster', {
        method,
        k: p.k,
        seed: p.seed,
        ...(backbone ? { backbone } : {}),
        ...(method === 'spice' && spiceSettings(p) ? { spice: spiceSettings(p) } : {}),
      }),
    );
  }

  async cancel(jobId: number): Promise<void> {
    try {
      await this.app.bridge.call('pipeline.cancel', { jobId });
    } catch (err) {
      this.app.toasts.error(`Cancel failed: ${errorMessage(err)}`);
    }
  }
}
