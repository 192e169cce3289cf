// Weak and strong views for the SPICE view bank, on 8-bit RGB pixels in plain JavaScript (run inside
// the decode workers). Every random draw comes from a generator seeded by (seed, image id, view name),
// so a view is the same whatever batch or worker computes it.
//
// weak   = random resized crop (area scale, aspect ratio) back to the image's size + horizontal flip.
// strong = weak + `opsPerImage` operations drawn with replacement from `ops` (RandAugment-style, each at a
//          uniform random magnitude within its range) + cutout of a square of random side in
//          [1, cutoutFraction * short side] filled with the mean colour (zero after normalisation).
// The reference (SCAN/SPICE 'scan' strong augmentation) draws 4 ops and cuts out up to 16 px of a
// 32-px image; the op ranges below follow it (enhance factors 0.05-0.95, rotate +-30 deg, shear and
// translate +-0.1, posterize 4-8 bits, solarize threshold 0-256).
import { createRng, type Rng } from '../../base/random.ts';
import { fnv1a32String } from '../../base/fnv1a.ts';
import { greyscaleBytes, lumaByte } from '../../base/luma.ts';
import { randomResizedCropBox } from '../../base/random-crop.ts';
import type { RgbImage } from './preprocess.ts';

export type AugOp =
  | 'identity'
  | 'autocontrast'
  | 'equalize'
  | 'brightness'
  | 'color'
  | 'contrast'
  | 'sharpness'
  | 'posterize'
  | 'solarize'
  | 'rotate'
  | 'shear_x'
  | 'shear_y'
  | 'translate_x'
  | 'translate_y';

export const AUG_OPS: readonly AugOp[] = [
  'identity',
  'autocontrast',
  'equalize',
  'brightness',
  'color',
  'contrast',
  'sharpness',
  'posterize',
  'solarize',
  'rotate',
  'shear_x',
  'shear_y',
  'translate_x',
  'translate_y',
];

/** Magnitude range of each op; ops without a magnitude have [0, 0]. */
export const DEFAULT_OP_RANGES: Readonly<Record<AugOp, readonly [number, number]>> = {
  identity: [0, 0],
  autocontrast: [0, 0],
  equalize: [0, 0],
  brightness: [0.05, 0.95], // enhance factor: 1 = unchanged, 0 = black
  color: [0.05, 0.95], // 0 = greyscale
  contrast: [0.05, 0.95], // 0 = flat mean grey
  sharpness: [0.05, 0.95], // < 1 blurs
  posterize: [4, 8], // bits kept
  solarize: [0, 256], // invert pixels at or above the threshold
  rotate: [-30, 30], // degrees
  shear_x: [-0.1, 0.1],
  shear_y: [-0.1, 0.1],
  translate_x: [-0.1, 0.1], // fraction of the width
  translate_y: [-0.1, 0.1],
};

export interface WeakParams {
  /** Area of the crop as a fraction of the image, drawn uniformly. */
  cropScale: [number, number];
  /** Aspect ratio of the crop, drawn log-uniformly. */
  cropRatio: [number, number];
  flipProbability: number;
}

export interface StrongParams extends WeakParams {
  ops: AugOp[];
  opsPerImage: number;
  opRanges: Record<AugOp, readonly [number, number]>;
  /** Largest cutout side as a fraction of the image's short side; the side is drawn in [1, max]. */
  cutoutFraction: number;
}

export interface AugmentConfig {
  weak: WeakParams;
  strong: StrongParams;
  /** RGB fill for cutout and for pixels that geometric ops bring in from outside. */
  fill: [number, number, number];
}

/**
 * Defaults. The weak crop keeps 50-100 % of the area: milder than MoCo's 20-100 % so a weak view stays
 * the same picture (as the reference's pad-4-and-crop of a 32-px image does), stronger than no crop.
 */
export function defaultAugmentParams(): { weak: WeakParams; strong: StrongParams } {
  const weak: WeakParams = { cropScale: [0.5, 1], cropRatio: [3 / 4, 4 / 3], flipProbability: 0.5 };
  return {
    weak,
    strong: { ...weak, ops: [...AUG_OPS], opsPerImage: 4, opRanges: { ...DEFAULT_OP_RANGES }, cutoutFraction: 0.5 },
  };
}

// ------------------------------------------------------------------------------------------ random

/** A generator for one (seed, image, view): independent of batch order and of other views. */
export function viewRng(seed: number, imageId: number, view: string): Rng {
  return createRng(fnv1a32String(`${seed}|${imageId}|${view}`));
}

// ------------------------------------------------------------------------------------------ views

export function augmentImage(img: RgbImage, kind: 'weak' | 'strong', config: AugmentConfig, rng: Rng): RgbImage {
  const params = kind === 'weak' ? config.weak : config.strong;
  let out = randomResizedCrop(img, params.cropScale, params.cropRatio, rng);
  if (rng.next() < params.flipProbability) out = flipHorizontal(out);
  if (kind === 'strong') {
    const strong = config.strong;
    for (let i = 0; i < strong.opsPerImage; i++) {
      const op = strong.ops[rng.int(strong.ops.length)];
      const [lo, hi] = strong.opRanges[op];
      out = applyOp(out, op, rng.uniform(lo, hi), config.fill);
    }
    out = cutout(out, strong.cutoutFraction, rng, config.fill);
  }
  return out;
}

export function applyOp(img: RgbImage, op: AugOp, v: number, fill: [number, number, number]): RgbImage {
  const { width: w, height: h } = img;
  switch (op) {
    case 'identity':
      return img;
    case 'autocontrast':
      return autocontrast(img);
    case 'equalize':
      return equalize(img);
    case 'brightness':
      return blendConstant(img, [0, 0, 0], v);
    case 'color':
      return blend(img, greyscale(img), v);
    case 'contrast': {
      const d = img.data;
      let sum = 0;
      for (let i = 0; i < d.length; i += 3) sum += lumaByte(d[i], d[i + 1], d[i + 2]);
      const m = Math.round(sum / (d.length / 3));
      return blendConstant(img, [m, m, m], v);
    }
    case 'sharpness':
      return blend(img, smooth(img), v);
    case 'posterize': {
      const bits = Math.max(1, Math.min(8, Math.round(v)));
      const mask = (0xff << (8 - bits)) & 0xff;
      return mapPixels(img, (p) => p & mask);
    }
    case 'solarize':
      return mapPixels(img, (p) => (p >= v ? 255 - p : p));
    case 'rotate': {
      const t = (-v * Math.PI) / 180;
      const cos = Math.cos(t);
      const sin = Math.sin(t);
      const cx = w / 2;
      const cy = h / 2;
      // destination -> source: rotate back around the centre
      return warpAffine(img, [cos, -sin, cx - cos * cx + sin * cy, sin, cos, cy - sin * cx - cos * cy], fill);
    }
    case 'shear_x':
      return warpAffine(img, [1, -v, v * (h / 2), 0, 1, 0], fill);
    case 'shear_y':
      return warpAffine(img, [1, 0, 0, -v, 1, v * (w / 2)], fill);
    case 'translate_x':
      return warpAffine(img, [1, 0, -v * w, 0, 1, 0], fill);
    case 'translate_y':
      return warpAffine(img, [1, 0, 0, 0, 1, -v * h], fill);
  }
}

export function randomResizedCrop(img: RgbImage, scale: readonly [number, number], ratio: readonly [number, number], rng: Rng): RgbImage {
  const { width: w, height: h } = img;
  const box = randomResizedCropBox(w, h, scale, ratio, rng);
  // destination pixel centre (x+0.5) maps to box.x + (x+0.5)*sx in source coordinates
  return warpAffine(img, [box.w / w, 0, box.x, 0, box.h / h, box.y], null);
}

export function flipHorizontal(img: RgbImage): RgbImage {
  const { width: w, height: h, data } = img;
  const out = new Uint8Array(data.length);
  for (let y = 0; y < h; y++) {
    const row = y * w * 3;
    for (let x = 0; x < w; x++) {
      const s = row + x * 3;
      const d = row + (w - 1 - x) * 3;
      out[d] = data[s];
      out[d + 1] = data[s + 1];
      out[d + 2] = data[s + 2];
    }
  }
  return { width: w, height: h, data: out };
}

export function cutout(img: RgbImage, fraction: number, rng: Rng, fill: [number, number, number]): RgbImage {
  const { width: w, height: h } = img;
  const maxSide = Math.max(1, Math.round(fraction * Math.min(w, h)));
  const side = 1 + rng.int(maxSide);
  const cy = rng.int(h);
  const cx = rng.int(w);
  const half = Math.floor(side / 2);
  const y1 = Math.max(0, cy - half);
  const y2 = Math.min(h, cy + half + (side % 2));
  const x1 = Math.max(0, cx - half);
  const x2 = Math.min(w, cx + half + (side % 2));
  const out = new Uint8Array(img.data);
  for (let y = y1; y < y2; y++) {
    for (let x = x1; x < x2; x++) {
      const o = (y * w + x) * 3;
      out[o] = fill[0];
      out[o + 1] = fill[1];
      out[o + 2] = fill[2];
    }
  }
  return { width: w, height: h, data: out };
}

// ------------------------------------------------------------------------------------------ pixels

/**
 * Resamples with bilinear interpolation. `m` maps a destination pixel centre (x+0.5, y+0.5) to source
 * coordinates: sx = m0*X + m1*Y + m2, sy = m3*X + m4*Y + m5. Source taps outside the image take `fill`,
 * or the nearest edge pixel when fill is null.
 */
export function warpAffine(img: RgbImage, m: readonly number[], fill: readonly [number, number, number] | null): RgbImage {
  const { width: w, height: h, data } = img;
  const out = new Uint8Array(data.length);
  const tap = (x: number, y: number, c: number): number => {
    if (x < 0 || y < 0 || x >= w || y >= h) {
      if (fill) return fill[c];
      x = Math.min(w - 1, Math.max(0, x));
      y = Math.min(h - 1, Math.max(0, y));
    }
    return data[(y * w + x) * 3 + c];
  };
  for (let y = 0; y < h; y++) {
    const Y = y + 0.5;
    for (let x = 0; x < w; x++) {
      const X = x + 0.5;
      const sx = m[0] * X + m[1] * Y + m[2] - 0.5;
      const sy = m[3] * X + m[4] * Y + m[5] - 0.5;
      const ix = Math.floor(sx);
      const iy = Math.floor(sy);
      const fx = sx - ix;
      const fy = sy - iy;
      const o = (y * w + x) * 3;
      for (let c = 0; c < 3; c++) {
        const top = tap(ix, iy, c) * (1 - fx) + tap(ix + 1, iy, c) * fx;
        const bottom = tap(ix, iy + 1, c) * (1 - fx) + tap(ix + 1, iy + 1, c) * fx;
        out[o + c] = Math.round(top * (1 - fy) + bottom * fy);
      }
    }
  }
  return { width: w, height: h, data: out };
}

function mapPixels(img: RgbImage, f: (p: number) => number): RgbImage {
  const lut = new Uint8Array(256);
  for (let i = 0; i < 256; i++) lut[i] = f(i);
  const out = new Uint8Array(img.data.length);
  for (let i = 0; i < out.length; i++) out[i] = lut[img.data[i]];
  return { width: img.width, height: img.height, data: out };
}

/** other + factor * (img - other), clamped: factor 1 keeps the image, 0 gives `other`. */
function blend(img: RgbImage, other: RgbImage, factor: number): RgbImage {
  const out = new Uint8Array(img.data.length);
  for (let i = 0; i < out.length; i++) out[i] = clampByte(other.data[i] + factor * (img.data[i] - other.data[i]));
  return { width: img.width, height: img.height, data: out };
}

function blendConstant(img: RgbImage, other: readonly [number, number, number], factor: number): RgbImage {
  const out = new Uint8Array(img.data.length);
  for (let i = 0; i < out.length; i++) {
    const o = other[i % 3];
    out[i] = clampByte(o + factor * (img.data[i] - o));
  }
  return { width: img.width, height: img.height, data: out };
}

/** The image in grey (base/luma.ts), the level in all three channels. */
export function greyscale(img: RgbImage): RgbImage {
  return { width: img.width, height: img.height, data: greyscaleBytes(img.data) };
}

/** 3x3 smoothing (centre weight 5, neighbours 1); the border row and column stay as they are. */
function smooth(img: RgbImage): RgbImage {
  const { width: w, height: h, data } = img;
  const out = new Uint8Array(data);
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1; x < w - 1; x++) {
      for (let c = 0; c < 3; c++) {
        let sum = 4 * data[(y * w + x) * 3 + c];
        for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) sum += data[((y + dy) * w + x + dx) * 3 + c];
        out[(y * w + x) * 3 + c] = Math.round(sum / 13);
      }
    }
  }
  return { width: w, height: h, data: out };
}

/** Stretches each channel to the full 0..255 range. */
function autocontrast(img: RgbImage): RgbImage {
  const d = img.data;
  const out = new Uint8Array(d.length);
  for (let c = 0; c < 3; c++) {
    let lo = 255;
    let hi = 0;
    for (let i = c; i < d.length; i += 3) {
      if (d[i] < lo) lo = d[i];
      if (d[i] > hi) hi = d[i];
    }
    const scale = hi > lo ? 255 / (hi - lo) : 1;
    const offset = hi > lo ? lo : 0;
    for (let i = c; i < d.length; i += 3) out[i] = clampByte((d[i] - offset) * scale);
  }
  return { width: img.width, height: img.height, data: out };
}

/** Per-channel histogram equalisation through the cumulative histogram. */
function equalize(img: RgbImage): RgbImage {
  const d = img.data;
  const n = d.length / 3;
  const out = new Uint8Array(d.length);
  for (let c = 0; c < 3; c++) {
    const hist = new Uint32Array(256);
    for (let i = c; i < d.length; i += 3) hist[d[i]]++;
    let first = 0;
    while (first < 255 && hist[first] === 0) first++;
    const base = hist[first];
    const lut = new Uint8Array(256);
    if (n === base) {
      for (let i = 0; i < 256; i++) lut[i] = i;
    } else {
      let cum = 0;
      for (let i = 0; i < 256; i++) {
        cum += hist[i];
        lut[i] = clampByte(((cum - base) * 255) / (n - base));
      }
    }
    for (let i = c; i < d.length; i += 3) out[i] = lut[d[i]];
  }
  return { width: img.width, height: img.height, data: out };
}

function clampByte(v: number): number {
  return v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
}
