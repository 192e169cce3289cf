// The MoCo v2 augmentations on 8-bit RGB images, written straight into a normalised NHWC batch:
// random resized crop, horizontal flip, colour jitter (brightness, contrast, saturation, hue in a
// random order), random grayscale and Gaussian blur, as torchvision's MoCo v2 recipe does.
import type { AugmentConfig } from './config.ts';
import type { Rng } from '../../base/random.ts';
import { randomResizedCropBox, type CropBox } from '../../base/random-crop.ts';
import { greyscaleFloatsInPlace, luma } from '../../base/luma.ts';

export type Triple = [number, number, number];

/** Row-major RGB, 3 bytes per pixel. */
export interface RgbView {
  data: Uint8Array;
  offset: number;
  width: number;
  height: number;
}

/** Scratch buffers reused across images of one size. */
export class Augmenter {
  private readonly rgb: Float32Array;
  private readonly tmp: Float32Array;

  constructor(
    readonly size: number,
    readonly config: AugmentConfig,
    readonly mean: Triple,
    readonly std: Triple,
  ) {
    this.rgb = new Float32Array(size * size * 3);
    this.tmp = new Float32Array(size * size * 3);
  }

  /** One augmented view of `src`, normalised, into image slot `index` of an NHWC batch. */
  augmentInto(src: RgbView, out: Float32Array, index: number, rng: Rng): void {
    const c = this.config;
    const box = randomResizedCropBox(src.width, src.height, c.cropScale, c.cropRatio, rng);
    const flip = rng.next() < c.flipP;
    resampleBilinear(src, box, flip, this.size, this.rgb);
    if (rng.next() < c.jitter.p) {
      const factors = {
        brightness: rng.uniform(Math.max(0, 1 - c.jitter.brightness), 1 + c.jitter.brightness),
        contrast: rng.uniform(Math.max(0, 1 - c.jitter.contrast), 1 + c.jitter.contrast),
        saturation: rng.uniform(Math.max(0, 1 - c.jitter.saturation), 1 + c.jitter.saturation),
        hue: rng.uniform(-c.jitter.hue, c.jitter.hue),
      };
      const order = rng.permutation(4);
      for (const op of order) {
        if (op === 0) brightness(this.rgb, factors.brightness);
        else if (op === 1) contrast(this.rgb, factors.contrast);
        else if (op === 2) saturation(this.rgb, factors.saturation);
        else hue(this.rgb, factors.hue);
      }
    }
    if (rng.next() < c.grayscaleP) greyscaleFloatsInPlace(this.rgb);
    if (c.blur.p > 0 && rng.next() < c.blur.p) {
      const sigma = rng.uniform(c.blur.sigma[0], c.blur.sigma[1]) * this.size;
      gaussianBlur(this.rgb, this.tmp, this.size, sigma);
    }
    this.normaliseInto(this.rgb, out, index);
  }

  /** The whole image resized to size x size, no augmentation, normalised into slot `index` (NHWC). */
  plainInto(src: RgbView, out: Float32Array, index: number): void {
    resampleBilinear(src, { x: 0, y: 0, w: src.width, h: src.height }, false, this.size, this.rgb);
    this.normaliseInto(this.rgb, out, index);
  }

  private normaliseInto(rgb: Float32Array, out: Float32Array, index: number): void {
    const n = this.size * this.size;
    const base = index * n * 3;
    const [m0, m1, m2] = this.mean;
    const [s0, s1, s2] = this.std;
    for (let i = 0, j = 0; i < n; i++, j += 3) {
      out[base + j] = (rgb[j] - m0) / s0;
      out[base + j + 1] = (rgb[j + 1] - m1) / s1;
      out[base + j + 2] = (rgb[j + 2] - m2) / s2;
    }
  }
}

/** Bilinear sampling of the crop box onto size x size, pixel centres aligned, values in 0..1. */
export function resampleBilinear(src: RgbView, box: CropBox, flip: boolean, size: number, out: Float32Array): void {
  const sx = box.w / size;
  const sy = box.h / size;
  const { data, offset, width, height } = src;
  const inv = 1 / 255;
  for (let oy = 0; oy < size; oy++) {
    let fy = box.y + (oy + 0.5) * sy - 0.5;
    fy = Math.min(Math.max(fy, 0), height - 1);
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, height - 1);
    const wy = fy - y0;
    for (let ox = 0; ox < size; ox++) {
      const tx = flip ? size - 1 - ox : ox;
      let fx = box.x + (tx + 0.5) * sx - 0.5;
      fx = Math.min(Math.max(fx, 0), width - 1);
      const x0 = Math.floor(fx);
      const x1 = Math.min(x0 + 1, width - 1);
      const wx = fx - x0;
      const p00 = offset + (y0 * width + x0) * 3;
      const p01 = offset + (y0 * width + x1) * 3;
      const p10 = offset + (y1 * width + x0) * 3;
      const p11 = offset + (y1 * width + x1) * 3;
      const o = (oy * size + ox) * 3;
      for (let ch = 0; ch < 3; ch++) {
        const top = data[p00 + ch] + (data[p01 + ch] - data[p00 + ch]) * wx;
        const bottom = data[p10 + ch] + (data[p11 + ch] - data[p10 + ch]) * wx;
        out[o + ch] = (top + (bottom - top) * wy) * inv;
      }
    }
  }
}

const clamp01 = (v: number) => (v < 0 ? 0 : v > 1 ? 1 : v);

export function brightness(rgb: Float32Array, f: number): void {
  for (let i = 0; i < rgb.length; i++) rgb[i] = clamp01(rgb[i] * f);
}

/** Blend with the image's mean gray level, as torchvision adjust_contrast. */
export function contrast(rgb: Float32Array, f: number): void {
  let sum = 0;
  for (let i = 0; i < rgb.length; i += 3) sum += luma(rgb[i], rgb[i + 1], rgb[i + 2]);
  const mean = sum / (rgb.length / 3);
  for (let i = 0; i < rgb.length; i++) rgb[i] = clamp01(mean + (rgb[i] - mean) * f);
}

/** Blend with each pixel's own gray level. */
export function saturation(rgb: Float32Array, f: number): void {
  for (let i = 0; i < rgb.length; i += 3) {
    const g = luma(rgb[i], rgb[i + 1], rgb[i + 2]);
    rgb[i] = clamp01(g + (rgb[i] - g) * f);
    rgb[i + 1] = clamp01(g + (rgb[i + 1] - g) * f);
    rgb[i + 2] = clamp01(g + (rgb[i + 2] - g) * f);
  }
}

/** Rotates the hue by `shift` turns (HSV). */
export function hue(rgb: Float32Array, shift: number): void {
  if (shift === 0) return;
  for (let i = 0; i < rgb.length; i += 3) {
    const r = rgb[i];
    const g = rgb[i + 1];
    const b = rgb[i + 2];
    const max = Math.max(r, g, b);
    const min = Math.min(r, g, b);
    const delta = max - min;
    if (delta === 0) continue;
    let h: number;
    if (max === r) h = ((g - b) / delta) % 6;
    else if (max === g) h = (b - r) / delta + 2;
    else h = (r - g) / delta + 4;
    h = h / 6 + shift;
    h -= Math.floor(h);
    const s = delta / max;
    const v = max;
    const h6 = h * 6;
    const sector = Math.floor(h6);
    const f = h6 - sector;
    const p = v * (1 - s);
    const q = v * (1 - s * f);
    const t = v * (1 - s * (1 - f));
    let rr: number, gg: number, bb: number;
    switch (sector % 6) {
      case 0:
        rr = v;
        gg = t;
        bb = p;
        break;
      case 1:
        rr = q;
        gg = v;
        bb = p;
        break;
      case 2:
        rr = p;
        gg = v;
        bb = t;
        break;
      case 3:
        rr = p;
        gg = q;
        bb = v;
        break;
      case 4:
        rr = t;
        gg = p;
        bb = v;
        break;
      default:
        rr = v;
        gg = p;
        bb = q;
        break;
    }
    rgb[i] = rr;
    rgb[i + 1] = gg;
    rgb[i + 2] = bb;
  }
}

/** Separable Gaussian blur with edge clamping; radius 3 sigma (at least 1 px). */
export function gaussianBlur(rgb: Float32Array, tmp: Float32Array, size: number, sigma: number): void {
  const radius = Math.max(1, Math.ceil(3 * sigma));
  const kernel = new Float32Array(2 * radius + 1);
  let total = 0;
  for (let i = -radius; i <= radius; i++) {
    kernel[i + radius] = Math.exp((-i * i) / (2 * sigma * sigma));
    total += kernel[i + radius];
  }
  for (let i = 0; i < kernel.length; i++) kernel[i] /= total;
  const pass = (from: Float32Array, to: Float32Array, horizontal: boolean) => {
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        let r = 0;
        let g = 0;
        let b = 0;
        for (let k = -radius; k <= radius; k++) {
          const xx = horizontal ? Math.min(size - 1, Math.max(0, x + k)) : x;
          const yy = horizontal ? y : Math.min(size - 1, Math.max(0, y + k));
          const w = kernel[k + radius];
          const p = (yy * size + xx) * 3;
          r += from[p] * w;
          g += from[p + 1] * w;
          b += from[p + 2] * w;
        }
        const o = (y * size + x) * 3;
        to[o] = r;
        to[o + 1] = g;
        to[o + 2] = b;
      }
    }
  };
  pass(rgb, tmp, true);
  pass(tmp, rgb, false);
}
