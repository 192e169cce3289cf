// Deterministic views for the view bank ('fixed/gray', 'fixed/flip', 'fixed/zoom', 'fixed/gray-zoom'):
// the same for every run and seed, computed on the working image the augmented views use, then resized to
// the input size like them. Plain JavaScript on 8-bit RGB pixels, run inside the decode workers.
import { flipHorizontal, greyscale } from './view-augment.ts';
import type { RgbImage } from './preprocess.ts';

/** The fixed views, in the order a plan adds them (`fixed: N` takes the first N). */
export const FIXED_VIEWS = ['gray', 'flip', 'zoom', 'gray-zoom'] as const;
export type FixedViewName = (typeof FIXED_VIEWS)[number];

/** The centre zoom keeps this fraction of the width and of the height. */
export const ZOOM_FRACTION = 0.75;

const PREFIX = 'fixed/';

/** Whether a fixed view crops to the centre (and so records ZOOM_FRACTION in its spec). */
export function isZoomView(name: FixedViewName): boolean {
  return name === 'zoom' || name === 'gray-zoom';
}

/** 'fixed/<name>' -> name; throws on anything else. */
export function fixedViewName(view: string): FixedViewName {
  const name = view.startsWith(PREFIX) ? view.slice(PREFIX.length) : null;
  if (name === null || !(FIXED_VIEWS as readonly string[]).includes(name)) {
    throw new Error(`unknown fixed view '${view}': expected one of ${FIXED_VIEWS.map((n) => PREFIX + n).join(', ')}`);
  }
  return name as FixedViewName;
}

/** The view `name` of an image, at the image's own size (zoom views: at the crop's size). */
export function fixedViewImage(img: RgbImage, name: FixedViewName): RgbImage {
  switch (name) {
    case 'gray':
      return greyscale(img);
    case 'flip':
      return flipHorizontal(img);
    case 'zoom':
      return centreCrop(img, ZOOM_FRACTION);
    case 'gray-zoom':
      return greyscale(centreCrop(img, ZOOM_FRACTION));
    default:
      throw new Error(`unknown fixed view '${String(name)}'`);
  }
}

/** The box a centre crop keeping `fraction` of each side takes: size round(fraction * side), centred (floor). */
export function centreCropBox(width: number, height: number, fraction: number): { left: number; top: number; width: number; height: number } {
  const cw = Math.min(width, Math.max(1, Math.round(fraction * width)));
  const ch = Math.min(height, Math.max(1, Math.round(fraction * height)));
  return { left: Math.floor((width - cw) / 2), top: Math.floor((height - ch) / 2), width: cw, height: ch };
}

/** The centre crop keeping `fraction` of the width and of the height, pixels copied as they are. */
export function centreCrop(img: RgbImage, fraction: number): RgbImage {
  const box = centreCropBox(img.width, img.height, fraction);
  const out = new Uint8Array(box.width * box.height * 3);
  const rowBytes = box.width * 3;
  for (let y = 0; y < box.height; y++) {
    const s = ((box.top + y) * img.width + box.left) * 3;
    out.set(img.data.subarray(s, s + rowBytes), y * rowBytes);
  }
  return { width: box.width, height: box.height, data: out };
}
