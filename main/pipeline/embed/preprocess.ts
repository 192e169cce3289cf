// Image file -> backbone input: decode with sharp, stretch to a square of the input size (bilinear:
// enlarged in JavaScript, resize.ts; reduced by libvips), then normalise to float32 in the model's
// channel order and layout.
import { readFileSync } from 'node:fs';
import sharp, { type Sharp } from 'sharp';
import { decodeBaselineJpeg } from './jpeg-baseline.ts';
import { jpegOrientation } from './jpeg-orientation.ts';
import { blendLevels, enlargeRows, resizeBilinear, taps } from './resize.ts';
import type { RgbImage } from './rgb-image.ts';
import type { ChannelOrder, Layout, Triple } from '../../models/registry.ts';

export interface PreprocessSpec {
  size: number;
  /** In the model's channel order, on 0..1 pixels. */
  mean: Triple;
  std: Triple;
  channelOrder: ChannelOrder;
  layout: Layout;
}

export type { RgbImage } from './rgb-image.ts';

export const RESIZE = { kernel: 'linear', fit: 'fill' } as const;

/** Auto-rotated (EXIF), alpha flattened onto white, sRGB with 3 channels. */
function open(input: string | Buffer, raw?: { width: number; height: number }) {
  if (raw) return sharp(input, { raw: { width: raw.width, height: raw.height, channels: 3 } });
  return toSrgb(sharp(input, { failOn: 'error', autoOrient: true }));
}

/**
 * Alpha flattened onto white, sRGB with 3 channels (after sharp(input, { failOn: 'error', ... }): failOn
 * 'error' as at import, so an image import accepted is never refused here).
 */
export function toSrgb(pipeline: Sharp): Sharp {
  return pipeline.flatten({ background: '#ffffff' }).toColourspace('srgb');
}

export async function toRgb(pipeline: Sharp): Promise<RgbImage> {
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

export function fitsWithin(s: KnownSize, size: number): boolean {
  return s.width > 0 && s.height > 0 && s.width <= size && s.height <= size;
}

/**
 * The source pixels of a small image, from the file's bytes (read synchronously: a small file's async
 * read cost 0.3 ms of CPU in thread-pool round trips).
 */
function decodeSource(path: string): Promise<RgbImage> {
  return decodeSmallBytes(readFileSync(path));
}

/**
 * A small image file's bytes, decoded: an upright baseline JPEG in JavaScript (jpeg-baseline.ts: the same
 * pixels as libvips, without libvips' set-up per image, which costs more than decoding 32 x 32 pixels), any
 * other file by libvips. For large images libvips is the faster one.
 */
export function decodeSmallBytes(bytes: Buffer): Promise<RgbImage> {
  const pixels = jpegOrientation(bytes) === 1 ? decodeBaselineJpeg(bytes) : null;
  return pixels ? Promise.resolve(pixels) : decodeBytes(bytes);
}

/** An image file's bytes, decoded by libvips. */
export function decodeBytes(bytes: Buffer): Promise<RgbImage> {
  return toRgb(open(bytes));
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

/** An image larger than size x size reduced to it (by libvips); a smaller one as it is. */
export async function toInputSize(img: RgbImage, size: number): Promise<RgbImage> {
  return fitsWithin(img, size) ? img : resizeRgb(img, size);
}

export function resizeRgb(img: RgbImage, size: number): Promise<RgbImage> {
  if (img.width === size && img.height === size) return Promise.resolve(img);
  if (fitsWithin(img, size)) return Promise.resolve(resizeBilinear(img, size, size));
  return toRgb(open(Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength), img).resize(size, size, RESIZE));
}

/**
 * Writes one RGB image into slot `index` of a batch tensor as (p/255 - mean) / std, in the model's channel
 * order and layout. An image smaller than size x size is enlarged on the way (resize.ts; the same levels
 * as resizeBilinear followed by this, without the 8-bit image in between).
 */
export function writeNormalised(img: RgbImage, spec: PreprocessSpec, out: Float32Array, index: number): void {
  const { size } = spec;
  if (!fitsWithin(img, size)) throw new Error(`image is ${img.width}x${img.height}, expected at most ${size}x${size}`);
  const plane = size * size;
  const base = index * 3 * plane;
  const [channelStride, pixelStride] = spec.layout === 'NCHW' ? [plane, 1] : [1, 3];
  // Output channel c reads source channel order[c].
  const order = spec.channelOrder === 'RGB' ? [0, 1, 2] : [2, 1, 0];
  const [l0, l1, l2] = normalisedLevels(spec);
  const [s0, s1, s2] = order;
  const [o0, o1, o2] = [base, base + channelStride, base + 2 * channelStride];
  const src = img.data;
  if (img.width === size && img.height === size) {
    for (let p = 0, i = 0, o = 0; p < plane; p++, i += 3, o += pixelStride) {
      out[o0 + o] = l0[src[i + s0]];
      out[o1 + o] = l1[src[i + s1]];
      out[o2 + o] = l2[src[i + s2]];
    }
    return;
  }
  const rows = enlargeRows(img, size);
  const ys = taps(img.height, size);
  const stride = size * 3;
  for (let y = 0, o = 0; y < size; y++) {
    const r0 = ys.lo[y] * stride;
    const r1 = ys.hi[y] * stride;
    const fy = ys.weight[y];
    for (let x = 0; x < stride; x += 3, o += pixelStride) {
      out[o0 + o] = l0[blendLevels(rows[r0 + x + s0], rows[r1 + x + s0], fy)];
      out[o1 + o] = l1[blendLevels(rows[r0 + x + s1], rows[r1 + x + s1], fy)];
      out[o2 + o] = l2[blendLevels(rows[r0 + x + s2], rows[r1 + x + s2], fy)];
    }
  }
}

const levelTables = new WeakMap<PreprocessSpec, Float32Array[]>();

/** Per output channel: the value each 8-bit level becomes (cached per spec: a worker uses one). */
function normalisedLevels(spec: PreprocessSpec): Float32Array[] {
  let tables = levelTables.get(spec);
  if (!tables) {
    tables = [0, 1, 2].map((c) => {
      const scale = 1 / (255 * spec.std[c]);
      const bias = -spec.mean[c] / spec.std[c];
      return Float32Array.from({ length: 256 }, (_, v) => v * scale + bias);
    });
    levelTables.set(spec, tables);
  }
  return tables;
}

/** The RGB pixel that normalises to zero: what cutout and geometric ops fill with. */
export function meanPixel(spec: Pick<PreprocessSpec, 'mean' | 'channelOrder'>): [number, number, number] {
  // mean is in the model's channel order; pixels are RGB.
  const m = spec.channelOrder === 'RGB' ? spec.mean : [spec.mean[2], spec.mean[1], spec.mean[0]];
  return [0, 1, 2].map((c) => Math.round(m[c] * 255)) as [number, number, number];
}
