// What a SPICE run records besides its assignments: the seconds each stage took, the report of the
// 'spice' run (views, PCA, SPICE-Self, reliable samples, SPICE-Semi, cluster sizes, health) and the
// report of the 'spice-self' run stored beside it.
import type { PcaBasis } from '../../ml/spice-linalg.ts';
import type { ReliableResult } from './reliable.ts';
import type { SpiceBank } from './spice-bank.ts';
import { spiceHealth, type SpiceHealth } from './spice-health.ts';
import type { SpiceSelfResult } from './spice-self.ts';
import type { SpiceSemiResult } from './spice-semi.ts';
import type { ResolvedSpiceSettings } from './spice-settings.ts';

/** Seconds per stage, rounded to hundredths, in the order the stages finished. */
export interface StageTimer {
  readonly timings: Record<string, number>;
  /** Runs `f` and records its seconds under `stage`. */
  timed<T>(stage: string, f: () => Promise<T> | T): Promise<T>;
  /** Records seconds measured elsewhere. */
  record(stage: string, seconds: number): void;
}

export function createStageTimer(): StageTimer {
  const timings: Record<string, number> = {};
  const record = (stage: string, seconds: number) => {
    timings[stage] = round(seconds, 2);
  };
  return {
    timings,
    record,
    async timed(stage, f) {
      const t = performance.now();
      const out = await f();
      record(stage, (performance.now() - t) / 1000);
      return out;
    },
  };
}

/** What the 'spice' run's report is made from. */
export interface SpiceRunFacts {
  backbone: string;
  /** The TensorFlow.js backend, in words. */
  backend: string;
  n: number;
  k: number;
  embeddingDim: number;
  bank: SpiceBank;
  missingViewVectors: number;
  pca: PcaBasis | null;
  /** The 'spice-self' run stored beside this one. */
  selfRunId: number;
  self: SpiceSelfResult;
  selfOutput: ResolvedSpiceSettings['selfOutput'];
  reliable: ReliableResult;
  /** SPICE-Semi's result and how it ran; null when it was skipped. */
  semi: { result: SpiceSemiResult; steps: number; warmStart: boolean } | null;
  /** SPICE-Self's clusters and the final ones. */
  selfLabels: Int32Array;
  labels: Int32Array;
  /** The final doubt per image. */
  doubt: Float32Array;
}

/** The 'spice' run's report, its health included (spice-health.ts). */
export function spiceRunReport(f: SpiceRunFacts) {
  const { n, k, bank, semi } = f;
  const sizes = clusterSizes(f.labels, k);
  const agreedNeighboursPerImage = bank.neighbours.indices.length / n;
  const health: SpiceHealth = spiceHealth({ n, k, reliableAtDefault: f.reliable.perCluster.map((c) => c.atDefault), clusterSizes: sizes, agreedNeighboursPerImage });
  return {
    backbone: f.backbone,
    backend: f.backend,
    n,
    embeddingDim: f.embeddingDim,
    views: { weak: bank.weakNames, strong: bank.strongNames, consistency: bank.consistencyViewNames, missingViewVectors: f.missingViewVectors },
    neighbours: { meanPerImage: round(agreedNeighboursPerImage, 2) },
    pca: f.pca ? { dim: f.pca.outDim, explained: round(f.pca.explained, 4) } : null,
    spiceSelfRun: f.selfRunId,
    self: selfReport(f.self, f.selfOutput),
    reliable: reliableReport(f.reliable),
    semi: semi
      ? {
          steps: semi.steps,
          labeled: semi.result.labeled,
          warmStart: semi.warmStart,
          finalLoss: round(semi.result.finalLoss, 4),
          finalMaskRate: round(semi.result.finalMaskRate, 4),
        }
      : null,
    changedBySemi: semi ? countChanged(f.selfLabels, f.labels) : 0,
    clusterSizes: sizes,
    meanDoubt: round(mean(f.doubt), 4),
    health,
  };
}

/** What the 'spice-self' run's report is made from. */
export interface SelfRunFacts {
  k: number;
  self: SpiceSelfResult;
  selfOutput: ResolvedSpiceSettings['selfOutput'];
  reliable: ReliableResult;
  labels: Int32Array;
  /** The 'spice' run this one belongs to. */
  spiceRunId: number;
}

export function selfRunReport(f: SelfRunFacts) {
  return {
    ...selfReport(f.self, f.selfOutput),
    reliable: reliableReport(f.reliable),
    clusterSizes: clusterSizes(f.labels, f.k),
    spiceRun: f.spiceRunId,
  };
}

function selfReport(self: SpiceSelfResult, output: ResolvedSpiceSettings['selfOutput']) {
  return {
    heads: self.headLosses.length,
    selectedHead: self.selectedHead,
    selection: 'lowest loss over the last epoch',
    output,
    headLosses: self.headLosses.map((l) => round(l, 5)),
    headClusterSizes: self.headSizes,
    steps: self.steps,
    epochs: self.epochs,
    batchSize: self.batchSize,
  };
}

function reliableReport(r: ReliableResult) {
  return {
    total: r.total,
    perCluster: r.perCluster,
    emptyAtDefault: r.emptyAtDefault,
    relaxations: r.relaxations,
    downsampledTo: r.downsampledTo,
  };
}

function clusterSizes(labels: Int32Array, k: number): number[] {
  const s = new Array<number>(k).fill(0);
  for (const l of labels) s[l]++;
  return s;
}

function countChanged(a: Int32Array, b: Int32Array): number {
  let c = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) c++;
  return c;
}

function mean(a: Float32Array): number {
  let s = 0;
  for (const v of a) s += v;
  return a.length ? s / a.length : 0;
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}
