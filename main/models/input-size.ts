// Which square input size a backbone runs at in a project.
import type { Db } from '../db/connection.ts';
import { countImages, largerSideAtRank } from '../db/images-repo.ts';

/** Images whose median side is at most this are "small" (CIFAR-like) and get the small-image size. */
export const SMALL_IMAGE_MAX_SIDE = 64;
export const DEFAULT_INPUT_SIZE = 224;
export const MIN_INPUT_SIZE = 8;
export const MAX_INPUT_SIZE = 2048;

export interface SizeFacts {
  /** Height = width fixed by the model graph, if it is. */
  fixedSize: number | null;
  nativeInputSize: number | null;
  smallImageInputSize: number | null;
  sizeMultiple: number;
}

export interface SizeChoice {
  size: number;
  why: string;
}

export function chooseInputSize(facts: SizeFacts, medianSide: number | null, requested?: number): SizeChoice {
  if (requested !== undefined) {
    validateInputSize(facts, requested);
    return { size: requested, why: 'chosen with --size' };
  }
  if (facts.fixedSize !== null) return { size: facts.fixedSize, why: 'fixed by the model' };
  if (medianSide !== null && medianSide <= SMALL_IMAGE_MAX_SIDE && facts.smallImageInputSize !== null) {
    return { size: facts.smallImageInputSize, why: `the images are small (median side ${medianSide} px), so the model's small-image size` };
  }
  const native = facts.nativeInputSize ?? DEFAULT_INPUT_SIZE;
  const size = Math.max(facts.sizeMultiple, Math.round(native / facts.sizeMultiple) * facts.sizeMultiple);
  return { size, why: facts.nativeInputSize !== null ? "the model's native size" : 'the default size (the model does not say)' };
}

export function validateInputSize(facts: SizeFacts, size: number): void {
  if (!Number.isInteger(size) || size < MIN_INPUT_SIZE || size > MAX_INPUT_SIZE) {
    throw new Error(`input size must be an integer between ${MIN_INPUT_SIZE} and ${MAX_INPUT_SIZE}, got ${size}`);
  }
  if (facts.fixedSize !== null && size !== facts.fixedSize) {
    throw new Error(`this model only takes ${facts.fixedSize}x${facts.fixedSize} input, not ${size}`);
  }
  if (size % facts.sizeMultiple !== 0) {
    throw new Error(`input size must be a multiple of ${facts.sizeMultiple} for this model, got ${size}`);
  }
}

/** Median of the larger side of the project's images; null when there are none. */
export function medianImageSide(db: Db): number | null {
  const n = countImages(db);
  if (n === 0) return null;
  return largerSideAtRank(db, Math.floor((n - 1) / 2)) ?? null;
}
