// The random resized crop's box, as torchvision's RandomResizedCrop.get_params draws it: the one box
// sampler of the MoCo pre-training augmentations (8-bit RGB into float batches) and of the view bank's
// weak and strong views (8-bit RGB images); each resamples the box its own way.
import type { Rng } from './random.ts';

/** A crop of the source image: its top-left corner and size in pixels. */
export interface CropBox {
  x: number;
  y: number;
  w: number;
  h: number;
}

/**
 * 10 tries at an area drawn uniformly in `scale` (fractions of the image) and an aspect ratio drawn
 * log-uniformly in `ratio`, the first that fits placed uniformly; else a centre crop at the nearest
 * allowed aspect ratio.
 */
export function randomResizedCropBox(width: number, height: number, scale: readonly [number, number], ratio: readonly [number, number], rng: Rng): CropBox {
  const area = width * height;
  const logLo = Math.log(ratio[0]);
  const logHi = Math.log(ratio[1]);
  for (let attempt = 0; attempt < 10; attempt++) {
    const target = area * rng.uniform(scale[0], scale[1]);
    const aspect = Math.exp(rng.uniform(logLo, logHi));
    const w = Math.round(Math.sqrt(target * aspect));
    const h = Math.round(Math.sqrt(target / aspect));
    if (w > 0 && h > 0 && w <= width && h <= height) {
      return { x: rng.int(width - w + 1), y: rng.int(height - h + 1), w, h };
    }
  }
  const inRatio = width / height;
  let w = width;
  let h = height;
  if (inRatio < ratio[0]) h = Math.round(w / ratio[0]);
  else if (inRatio > ratio[1]) w = Math.round(h * ratio[1]);
  return { x: Math.floor((width - w) / 2), y: Math.floor((height - h) / 2), w, h };
}
