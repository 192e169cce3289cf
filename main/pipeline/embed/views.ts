// The views one embed run computes: 'plain', the augmented bank 'weak/0..' and 'strong/0..', and the
// deterministic views 'fixed/gray', 'fixed/flip', 'fixed/zoom', 'fixed/gray-zoom' (fixed-views.ts).
import type { ViewSpec } from '../../db/embeddings-repo.ts';
import { defaultAugmentParams, type StrongParams, type WeakParams } from './view-augment.ts';
import { FIXED_VIEWS, isZoomView, ZOOM_FRACTION } from './fixed-views.ts';
import { RESIZE } from './preprocess.ts';

export interface ViewCounts {
  weak: number;
  strong: number;
  /** How many of FIXED_VIEWS, in their order (0..4). */
  fixed: number;
}

export const MAX_VIEWS_PER_KIND = 64;
export const MAX_FIXED_VIEWS = FIXED_VIEWS.length;

/** Parses `weak=4,strong=4,fixed=4` (any part may be left out and counts 0; `none` or '' = no views besides plain). */
export function parseViewCounts(text: string): ViewCounts {
  const counts: ViewCounts = { weak: 0, strong: 0, fixed: 0 };
  const trimmed = text.trim();
  if (trimmed === '' || trimmed === 'none') return counts;
  for (const part of trimmed.split(',')) {
    const m = /^\s*(weak|strong|fixed)\s*=\s*(\d+)\s*$/.exec(part);
    if (!m) throw new Error(`cannot read views '${text}': write it like weak=4,strong=4,fixed=4`);
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
  const f = counts.fixed;
  if (!Number.isInteger(f) || f < 0 || f > MAX_FIXED_VIEWS) {
    throw new Error(`number of fixed views must be an integer from 0 to ${MAX_FIXED_VIEWS} (${FIXED_VIEWS.join(', ')}), got ${f}`);
  }
}

export interface PlannedView extends ViewSpec {
  /** Index of the view in the plan: plain 0, then weak/0.., then strong/0.., then fixed/gray... */
  order: number;
}

/**
 * One spec per view. Augmented views record everything that shapes them (seed, size, parameters), so a
 * later run with other settings is detected instead of mixing views made differently. Fixed views take
 * no randomness: their spec (seed 0, transform, zoom, size) is the same whatever the run's seed.
 */
export function planViews(
  counts: ViewCounts,
  seed: number,
  inputSize: number,
  fill: [number, number, number],
): { views: PlannedView[]; weak: WeakParams; strong: StrongParams } {
  validateViewCounts(counts);
  const { weak, strong } = defaultAugmentParams();
  const views: PlannedView[] = [
    { order: 0, view: 'plain', kind: 'plain', seed: 0, inputSize, params: { resize: RESIZE, note: 'whole image stretched to the input size' } },
  ];
  const common = { workingImage: 'source pixels when no larger than the input, else the plain view', finalResize: RESIZE, fill };
  for (let i = 0; i < counts.weak; i++) views.push({ order: views.length, view: `weak/${i}`, kind: 'weak', seed, inputSize, params: { ...weak, ...common } });
  for (let i = 0; i < counts.strong; i++) views.push({ order: views.length, view: `strong/${i}`, kind: 'strong', seed, inputSize, params: { ...strong, ...common } });
  // Deterministic: no seed, no fill (nothing is brought in from outside the image).
  for (const name of FIXED_VIEWS.slice(0, counts.fixed)) {
    const params = { transform: name, ...(isZoomView(name) ? { zoom: ZOOM_FRACTION } : {}), workingImage: common.workingImage, finalResize: RESIZE };
    views.push({ order: views.length, view: `fixed/${name}`, kind: 'fixed', seed: 0, inputSize, params });
  }
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
