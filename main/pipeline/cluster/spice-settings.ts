// A SPICE run's settings: the defaults, what a caller may change of them, and the resolved settings a
// run uses (stored in its params, compared by run reuse). The defaults and why they differ from the
// reference: docs/spice.md.
import { DEFAULT_RELAX_SCHEDULE, type ReliableOptions } from './reliable.ts';
import type { AgreementOptions } from './view-agreement.ts';
import type { SpiceSelfOptions } from './spice-self.ts';
import type { SpiceSemiOptions } from './spice-semi.ts';

/** What a caller may set of a SPICE run's settings; resolveSpiceSettings fills the rest from SPICE_DEFAULTS. */
export interface SpiceSettingsOptions {
  /** A small, fast configuration for trying things out. */
  quick?: boolean;
  /** SPICE-Self epochs. */
  epochs?: number;
  /** SPICE-Self heads. */
  heads?: number;
  /** SPICE-Self images per step. */
  batchSize?: number;
  /** SPICE-Semi length in passes over all images as unlabelled data; 0 skips SPICE-Semi. */
  semiEpochs?: number;
  /** Width of the PCA projection the heads read; 0 = the embeddings as they are. */
  pcaDim?: number;
  /** Finer overrides of each stage. */
  self?: Partial<Omit<SpiceSelfOptions, 'seed'>>;
  reliable?: Partial<Omit<ReliableOptions, 'seed'>>;
  semi?: Partial<SemiSettings>;
  /** How the views' agreed neighbours are found when the bank has fixed views. */
  agreement?: Partial<AgreementSettings>;
  /** Neighbours of the doubt score. */
  doubtNeighbours?: number;
  /**
   * What SPICE-Self hands on: 'lowest-loss' (the reference: the selected head's clusters) or
   * 'consensus' (every head renumbered onto the selected one and averaged).
   */
  selfOutput?: 'lowest-loss' | 'consensus';
}

/** SPICE-Semi settings; warmStart: the classifier starts as the selected SPICE-Self head. */
export type SemiSettings = Omit<SpiceSemiOptions, 'seed' | 'steps'> & { warmStart: boolean };

/** Agreed neighbours (view-agreement.ts): each view's `perViewK` nearest, kept where `minAgree` views agree. */
export type AgreementSettings = AgreementOptions & { perViewK: number };

/** Defaults (docs/spice.md gives the measurement behind each change from the reference). */
export const SPICE_DEFAULTS = {
  pcaDim: 128,
  self: {
    heads: 10,
    hidden: 128,
    epochs: 100,
    batchSize: 500,
    lr: 0.001,
    prototypeWeight: 0,
    neighbourWeight: 1,
    entropyWeight: 5,
    neighbourK: 20,
    prototypeRatio: 0.5,
    repeat: 1,
    minSteps: 600,
  } satisfies Omit<SpiceSelfOptions, 'seed'>,
  reliable: {
    neighbours: 100,
    consistency: 0.7,
    confidence: 0.9,
    minPerCluster: 10,
    relaxSchedule: DEFAULT_RELAX_SCHEDULE,
    balance: 'none',
  } satisfies Omit<ReliableOptions, 'seed'>,
  agreement: { perViewK: 50, minAgree: 3, minNeighbours: 3, fallbackK: 5 } satisfies AgreementSettings,
  semiEpochs: 0,
  semi: {
    hidden: 256,
    labeledBatch: 64,
    unlabeledRatio: 7,
    threshold: 0.95,
    unlabeledWeight: 1,
    lr: 0.001,
    emaDecay: 0.999,
    balancedLabels: true,
    entropyWeight: 5,
    unlabeledView: 'strong',
    warmStart: true,
  } satisfies SemiSettings,
  doubtNeighbours: 20,
  selfOutput: 'consensus',
} as const;

// Quick: fewer heads and epochs, nothing else (SPICE-Semi stays as configured, off by default).
const QUICK = { heads: 3, epochs: 8 };

/** The settings a run uses, all resolved (stored in the run's params). */
export interface ResolvedSpiceSettings {
  pcaDim: number;
  self: Omit<SpiceSelfOptions, 'seed'>;
  reliable: Omit<ReliableOptions, 'seed'>;
  agreement: AgreementSettings;
  semiEpochs: number;
  semi: SemiSettings;
  doubtNeighbours: number;
  selfOutput: 'lowest-loss' | 'consensus';
}

/** The defaults with `options` applied; throws a plain Error naming the first setting out of range. */
export function resolveSpiceSettings(options: SpiceSettingsOptions): ResolvedSpiceSettings {
  const quick = options.quick ? QUICK : null;
  const self = {
    ...SPICE_DEFAULTS.self,
    ...(quick ? { heads: quick.heads, epochs: quick.epochs } : {}),
    ...options.self,
    ...defined({ heads: options.heads, epochs: options.epochs, batchSize: options.batchSize }),
  };
  const settings: ResolvedSpiceSettings = {
    pcaDim: options.pcaDim ?? SPICE_DEFAULTS.pcaDim,
    self,
    reliable: { ...SPICE_DEFAULTS.reliable, ...options.reliable },
    agreement: { ...SPICE_DEFAULTS.agreement, ...options.agreement },
    semiEpochs: options.semiEpochs ?? SPICE_DEFAULTS.semiEpochs,
    semi: { ...SPICE_DEFAULTS.semi, ...options.semi },
    doubtNeighbours: options.doubtNeighbours ?? SPICE_DEFAULTS.doubtNeighbours,
    selfOutput: options.selfOutput ?? SPICE_DEFAULTS.selfOutput,
  };
  checkSettings(settings);
  return settings;
}

function defined<T extends Record<string, unknown>>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function checkSettings(s: ResolvedSpiceSettings): void {
  const posInt = (name: string, v: number) => {
    if (!Number.isInteger(v) || v < 1) throw new Error(`${name} must be a positive integer, got ${v}`);
  };
  posInt('heads', s.self.heads);
  posInt('epochs', s.self.epochs);
  posInt('batchSize', s.self.batchSize);
  posInt('hidden', s.self.hidden);
  posInt('neighbourK', s.self.neighbourK);
  posInt('repeat', s.self.repeat);
  posInt('agreement.perViewK', s.agreement.perViewK);
  posInt('agreement.minAgree', s.agreement.minAgree);
  posInt('agreement.fallbackK', s.agreement.fallbackK);
  if (!Number.isInteger(s.agreement.minNeighbours) || s.agreement.minNeighbours < 0)
    throw new Error(`agreement.minNeighbours must be 0 or more, got ${s.agreement.minNeighbours}`);
  if (!Number.isInteger(s.self.minSteps) || s.self.minSteps < 0) throw new Error(`minSteps must be 0 or more, got ${s.self.minSteps}`);
  posInt('reliable.neighbours', s.reliable.neighbours);
  posInt('semi.labeledBatch', s.semi.labeledBatch);
  posInt('semi.unlabeledRatio', s.semi.unlabeledRatio);
  if (!(s.self.lr > 0) || !(s.semi.lr > 0)) throw new Error('learning rates must be positive');
  if (!Number.isInteger(s.pcaDim) || s.pcaDim < 0) throw new Error(`pcaDim must be 0 (off) or a positive integer, got ${s.pcaDim}`);
  if (!(s.semiEpochs >= 0) || !Number.isFinite(s.semiEpochs)) throw new Error(`semiEpochs must be 0 or more, got ${s.semiEpochs}`);
  if (s.self.prototypeWeight <= 0 && s.self.neighbourWeight <= 0) throw new Error('SPICE-Self needs a prototype or a neighbour loss');
  if (s.selfOutput !== 'lowest-loss' && s.selfOutput !== 'consensus') throw new Error(`selfOutput must be 'lowest-loss' or 'consensus', got ${s.selfOutput}`);
  if (!(s.reliable.consistency >= 0 && s.reliable.consistency <= 1)) throw new Error('reliable.consistency must be in [0, 1]');
  if (!(s.reliable.confidence >= 0 && s.reliable.confidence < 1)) throw new Error('reliable.confidence must be in [0, 1)');
  if (!(s.semi.emaDecay >= 0 && s.semi.emaDecay < 1)) throw new Error('semi.emaDecay must be in [0, 1)');
}
