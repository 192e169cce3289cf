// Bilinear enlargement of small images to the backbone's input size, in JavaScript. libvips costs about
// 0.9 ms of CPU to enlarge a decoded 32-px image to 128 px, most of it per-call set-up, and that fixed
// cost per image competed with inference for the cores (docs/scale.md). Done in two passes (rows, then
// columns) it costs about 0.15 ms. Images larger than the size are still reduced by libvips, which
// filters against aliasing.
import type { RgbImage } from './rgb-image.ts';

/**
 * To width x height by bilinear interpolation, the way libvips enlarges with its linear kernel (what the
 * embeddings were made and evaluated with): output x reads source position x * scale - 0.5, clamped to
 * the edges. Measured against sharp's resize: mean difference 0.2 levels, at most 2 (rounding).
 */
export function resizeBilinear(img: RgbImage, width: number, height: number): RgbImage {
  const out = new Uint8Array(width * height * 3);
  const rows = enlargeRows(img, width);
  const ys = taps(img.height, height);
  const stride = width * 3;
  let o = 0;
  for (let y = 0; y < height; y++) {
    const r0 = ys.lo[y] * stride;
    const r1 = ys.hi[y] * stride;
    const fy = ys.weight[y];
    for (let i = 0; i < stride; i++) out[o++] = blendLevels(rows[r0 + i], rows[r1 + i], fy);
  }
  return { width, height, data: out };
}

/** Each source row enlarged to `width` pixels, in 1/256ths of a level (the first of the two passes). */
export function enlargeRows(img: RgbImage, width: number): Int32Array {
  const { width: w, height: h, data } = img;
  const xs = taps(w, width);
  const rows = new Int32Array(h * width * 3);
  let o = 0;
  for (let y = 0; y < h; y++) {
    const row = y * w * 3;
    for (let x = 0; x < width; x++) {
      const a = row + xs.lo[x] * 3;
      const b = row + xs.hi[x] * 3;
      const fx = xs.weight[x];
      rows[o++] = (data[a] << 8) + (data[b] - data[a]) * fx;
      rows[o++] = (data[a + 1] << 8) + (data[b + 1] - data[a + 1]) * fx;
      rows[o++] = (data[a + 2] << 8) + (data[b + 2] - data[a + 2]) * fx;
    }
  }
  return rows;
}

/** One output level of the second pass: between two first-pass values, weight in 1/256ths. */
export function blendLevels(top: number, bottom: number, weight: number): number {
  // top and bottom are in 1/256ths of a level, the blend in 1/65536ths: the rounding of one 2-D
  // fixed-point lerp, done as two passes.
  return ((top << 8) + (bottom - top) * weight + 32768) >> 16;
}

/** For each output coordinate: the two source indices and the weight of the second, in 1/256ths. */
export function taps(source: number, target: number): { lo: Int32Array; hi: Int32Array; weight: Int32Array } {
  const lo = new Int32Array(target);
  const hi = new Int32Array(target);
  const weight = new Int32Array(target);
  const scale = source / target;
  for (let i = 0; i < target; i++) {
    const s = Math.min(source - 1, Math.max(0, i * scale - 0.5));
    lo[i] = Math.floor(s);
    hi[i] = Math.min(source - 1, lo[i] + 1);
    weight[i] = Math.round((s - lo[i]) * 256);
  }
  return { lo, hi, weight };
}
