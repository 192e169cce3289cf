// Image file -> backbone input: decode with sharp, stretch to a square of the input size (bilinear:
// enlarged in JavaScript, resize.ts; reduced by libvips), then normalise to float32 in the model's
// channel order and layout.
import { readFile } from 'node:fs/promises';
import sharp, { type Sharp } from 'sharp';
import { resizeBilinear } from './resize.ts';
import type { ChannelOrder, Layout, Triple } from '../../models/registry.ts';

export interface PreprocessSpec {
  size: number;
  /** In the model's channel order, on 0..1 pixels. */
  mean: Triple;
  std: Triple;
  channelOrder: ChannelOrder;
  layout: Layout;
}

/** 8-bit RGB pixels, row-major, 3 bytes per pixel. */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
}

export const RESIZE = { kernel: 'linear', fit: 'fill' } as const;

/** Auto-rotated (EXIF), alpha flattened onto white, sRGB with 3 channels. */
function open(input: string | Buffer, raw?: { width: number; height: number }) {
  if (raw) return sharp(input, { raw: { width: raw.width, height: raw.height, channels: 3 } });
  // failOn 'error' as at import: an image import accepted is never refused here.
  return sharp(input, { failOn: 'error', autoOrient: true }).flatten({ background: '#ffffff' }).toColourspace('srgb');
}

async function toRgb(pipeline: Sharp): Promise<RgbImage> {
  const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new Error(`decoded to ${info.channels} channels, expected 3`);
  return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

/** Width and height as stored at import (saves reading the header again); absent: read from the file. */
export interface KnownSize {
  width: number;
  height: number;
}

async function sizeOf(path: string, known: KnownSize | undefined): Promise<KnownSize> {
  if (known) return known;
  const meta = await sharp(path, { failOn: 'error' }).metadata();
  return { width: meta.autoOrient?.width ?? meta.width ?? 0, height: meta.autoOrient?.height ?? meta.height ?? 0 };
}

function fitsWithin(s: KnownSize, size: number): boolean {
  return s.width > 0 && s.height > 0 && s.width <= size && s.height <= size;
}

/** The source pixels (from the file's bytes: cheaper in libvips than opening the path). */
async function decodeSource(path: string): Promise<RgbImage> {
  return toRgb(open(await readFile(path)));
}

/** The plain view: the whole image stretched to size x size. */
export async function decodeResized(path: string, size: number, known?: KnownSize): Promise<RgbImage> {
  if (fitsWithin(await sizeOf(path, known), size)) return resizeRgb(await decodeSource(path), size);
  return toRgb(open(path).resize(size, size, RESIZE));
}

/**
 * The image augmentations work on: the source pixels when the image is no larger than size x size (so
 * crops and cutout are in source pixels, as the reference does on 32-px images), else the plain view.
 */
export async function decodeWorking(path: string, size: number, known?: KnownSize): Promise<RgbImage> {
  if (fitsWithin(await sizeOf(path, known), size)) return decodeSource(path);
  return decodeResized(path, size, known);
}

export function resizeRgb(img: RgbImage, size: number): Promise<RgbImage> {
  if (img.width === size && img.height === size) return Promise.resolve(img);
  if (fitsWithin(img, size)) return Promise.resolve(resizeBilinear(img, size, size));
  return toRgb(open(Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength), img).resize(size, size, RESIZE));
}

/**
 * Writes one size x size RGB image into slot `index` of a batch tensor, as (p/255 - mean) / std in the
 * model's channel order and layout.
 */
export function writeNormalised(img: RgbImage, spec: PreprocessSpec, out: Float32Array, index: number): void {
  const { size } = spec;
  if (img.width !== size || img.height !== size) throw new Error(`image is ${img.width}x${img.height}, expected ${size}x${size}`);
  const plane = size * size;
  const base = index * 3 * plane;
  const src = img.data;
  // Output channel c reads source channel order[c].
  const order = spec.channelOrder === 'RGB' ? [0, 1, 2] : [2, 1, 0];
  for (let c = 0; c < 3; c++) {
    const sc = order[c];
    const scale = 1 / (255 * spec.std[c]);
    const bias = -spec.mean[c] / spec.std[c];
    if (spec.layout === 'NCHW') {
      const o = base + c * plane;
      for (let i = 0, s = sc; i < plane; i++, s += 3) out[o + i] = src[s] * scale + bias;
    } else {
      for (let i = 0, s = sc, o = base + c; i < plane; i++, s += 3, o += 3) out[o] = src[s] * scale + bias;
    }
  }
}

/** The RGB pixel that normalises to zero: what cutout and geometric ops fill with. */
export function meanPixel(spec: Pick<PreprocessSpec, 'mean' | 'channelOrder'>): [number, number, number] {
  // mean is in the model's channel order; pixels are RGB.
  const m = spec.channelOrder === 'RGB' ? spec.mean : [spec.mean[2], spec.mean[1], spec.mean[0]];
  return [0, 1, 2].map((c) => Math.round(m[c] * 255)) as [number, number, number];
}
