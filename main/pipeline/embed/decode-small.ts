// The source pixels of a batch's small images (no larger than the input size). libvips' set-up per call
// costs more than decoding a 32-px JPEG, so an upright baseline JPEG is decoded in JavaScript
// (jpeg-baseline.ts, the same pixels), and the other same-size JPEGs that need no rotation (progressive
// ones, say) in one libvips call: a mosaic joined left to right, cut back into images (the same pixels as
// one call each). libvips would orient a mosaic as a whole, so a JPEG with an EXIF rotation, and any
// other format, is decoded alone.
import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { decodeBaselineJpeg } from './jpeg-baseline.ts';
import { jpegOrientation } from './jpeg-orientation.ts';
import { decodeBytes, toRgb, toSrgb, type RgbImage } from './preprocess.ts';

export interface SmallImageFile {
  path: string;
  /** As stored at import (after EXIF orientation). */
  width: number;
  height: number;
}

/** Images per joined call: bounds the mosaic's memory for larger "small" images. */
const MOSAIC_MAX = 64;

/** Each file's pixels, or the error that stopped it, in input order. */
export async function decodeSmallImages(files: readonly SmallImageFile[]): Promise<Array<RgbImage | Error>> {
  const results: Array<RgbImage | Error | undefined> = new Array(files.length);
  const bytes = files.map((file, i) => {
    try {
      return readFileSync(file.path);
    } catch (err) {
      results[i] = asError(err);
      return null;
    }
  });

  const groups = new Map<string, number[]>();
  files.forEach((file, i) => {
    const data = bytes[i];
    if (data === null || jpegOrientation(data) !== 1) return;
    const pixels = decodeBaselineJpeg(data);
    if (pixels) {
      results[i] = pixels;
      return;
    }
    const key = `${file.width}x${file.height}`;
    const group = groups.get(key) ?? [];
    group.push(i);
    groups.set(key, group);
  });
  for (const group of groups.values()) {
    for (let start = 0; start + 1 < group.length; start += MOSAIC_MAX) {
      const members = group.slice(start, start + MOSAIC_MAX);
      const { width, height } = files[members[0]];
      // A broken file fails the whole call: then each is decoded alone below and reports its own error.
      const tiles = await decodeJoined(
        members.map((i) => bytes[i]!),
        width,
        height,
      ).catch(() => null);
      tiles?.forEach((tile, k) => (results[members[k]] = tile));
    }
  }

  await Promise.all(
    files.map(async (_, i) => {
      const data = bytes[i];
      if (results[i] === undefined && data !== null) results[i] = await decodeBytes(data).catch(asError);
    }),
  );
  return results as Array<RgbImage | Error>;
}

/** JPEGs of one size (no EXIF rotation), decoded in one libvips call. */
async function decodeJoined(files: readonly Buffer[], width: number, height: number): Promise<RgbImage[]> {
  const mosaic = await toRgb(toSrgb(sharp([...files], { failOn: 'error', autoOrient: false, join: { across: files.length } })));
  if (mosaic.width !== width * files.length || mosaic.height !== height) {
    throw new Error(`joined ${files.length} images into ${mosaic.width}x${mosaic.height}, expected ${width * files.length}x${height}`);
  }
  const row = width * 3;
  return files.map((_, k) => {
    const data = new Uint8Array(row * height);
    for (let y = 0; y < height; y++) {
      const from = (y * mosaic.width + k * width) * 3;
      data.set(mosaic.data.subarray(from, from + row), y * row);
    }
    return { width, height, data };
  });
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
