// The views one embed run computes: 'plain' plus the augmented bank 'weak/0..' and 'strong/0..'.
import type { ViewSpec } from '../../db/embeddings-repo.ts';
import { defaultAugmentParams, type StrongParams, type WeakParams } from './augment.ts';
import { RESIZE } from './preprocess.ts';

export interface ViewCounts {
  weak: number;
  strong: number;
}

export const MAX_VIEWS_PER_KIND = 64;

/** Parses `weak=4,strong=4` (either part may be left out; `none` or '' = no augmented views). */
export function parseViewCounts(text: string): ViewCounts {
  const counts: ViewCounts = { weak: 0, strong: 0 };
  const trimmed = text.trim();
  if (trimmed === '' || trimmed === 'none') return counts;
  for (const part of trimmed.split(',')) {
    const m = /^\s*(weak|strong)\s*=\s*(\d+)\s*$/.exec(part);
    if (!m) throw new Error(`cannot read views '${text}': write it like weak=4,strong=4`);
    counts[m[1] as keyof ViewCounts] = Number(m[2]);
  }
  validateViewCounts(counts);
  return counts;
}

export function validateViewCounts(counts: ViewCounts): void {
  for (const kind of ['weak', 'strong'] as const) {
    const n = counts[kind];
    if (!Number.isInteger(n) || n < 0 || n > MAX_VIEWS_PER_KIND) throw new Error(`number of ${kind} views must be an integer from 0 to ${MAX_VIEWS_PER_KIND}, got ${n}`);
  }
}

export interface PlannedView extends ViewSpec {
  /** Index of the view in the plan: plain 0, then weak/0.., then strong/0... */
  order: number;
}

/**
 * One spec per view. Augmented views record everything that shapes them (seed, size, parameters), so a
 * later run with other settings is detected instead of mixing views made differently.
 */
export function planViews(counts: ViewCounts, seed: number, inputSize: number, fill: [number, number, number]): { views: PlannedView[]; weak: WeakParams; strong: StrongParams } {
  validateViewCounts(counts);
  const { weak, strong } = defaultAugmentParams();
  const views: PlannedView[] = [
    { order: 0, view: 'plain', kind: 'plain', seed: 0, inputSize, params: { resize: RESIZE, note: 'whole image stretched to the input size' } },
  ];
  const common = { workingImage: 'source pixels when no larger than the input, else the plain view', finalResize: RESIZE, fill };
  for (let i = 0; i < counts.weak; i++) views.push({ order: views.length, view: `weak/${i}`, kind: 'weak', seed, inputSize, params: { ...weak, ...common } });
  for (let i = 0; i < counts.strong; i++) views.push({ order: views.length, view: `strong/${i}`, kind: 'strong', seed, inputSize, params: { ...strong, ...common } });
  return { views, weak, strong };
}

/** Whether a stored spec describes the same view as a planned one. */
export function sameViewSpec(a: ViewSpec, b: ViewSpec): boolean {
  return a.kind === b.kind && a.seed === b.seed && a.inputSize === b.inputSize && canonical(a.params) === canonical(b.params);
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}
