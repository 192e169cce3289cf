// Bilinear enlargement of small images to the backbone's input size, in JavaScript. libvips costs about
// 0.9 ms of CPU to enlarge a decoded 32-px image to 128 px (1.6 ms decoding and enlarging in one call),
// most of it per-call set-up; this loop takes about 0.3 ms, and that fixed cost per image is what
// competed with inference for the cores (docs/scale.md). Images larger than the size are still reduced
// by libvips, which filters against aliasing.
import type { RgbImage } from './preprocess.ts';

/**
 * To width x height by bilinear interpolation, the way libvips enlarges with its linear kernel (what the
 * embeddings were made and evaluated with): output x reads source position x * scale - 0.5, clamped to
 * the edges. Measured against sharp's resize: mean difference 0.2 levels, at most 2 (rounding).
 */
export function resizeBilinear(img: RgbImage, width: number, height: number): RgbImage {
  const { width: w, height: h, data } = img;
  const xs = taps(w, width);
  const ys = taps(h, height);
  const out = new Uint8Array(width * height * 3);
  let o = 0;
  for (let y = 0; y < height; y++) {
    const row0 = ys.lo[y] * w * 3;
    const row1 = ys.hi[y] * w * 3;
    const fy = ys.weight[y];
    for (let x = 0; x < width; x++) {
      const a = row0 + xs.lo[x] * 3;
      const b = row0 + xs.hi[x] * 3;
      const c = row1 + xs.lo[x] * 3;
      const d = row1 + xs.hi[x] * 3;
      const fx = xs.weight[x];
      for (let ch = 0; ch < 3; ch++) {
        // Weights in 1/256ths: top and bottom in 1/256ths of a level, the blend in 1/65536ths.
        const top = (data[a + ch] << 8) + (data[b + ch] - data[a + ch]) * fx;
        const bottom = (data[c + ch] << 8) + (data[d + ch] - data[c + ch]) * fx;
        out[o++] = ((top << 8) + (bottom - top) * fy + 32768) >> 16;
      }
    }
  }
  return { width, height, data: out };
}

/** For each output coordinate: the two source indices and the weight of the second, in 1/256ths. */
function taps(source: number, target: number): { lo: Int32Array; hi: Int32Array; weight: Int32Array } {
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
