import sharp from 'sharp';
import type { Metadata } from 'sharp';
import { classifyDecodeFailure, isUninformative, type FileProbe } from './decode-failure.ts';
import type { ImageFormat } from './magic.ts';
import { ImportFailure } from './reasons.ts';
import { renderThumbnail, type Thumbnail } from './thumbnail.ts';

export const DEFAULT_MAX_PIXELS = 100_000_000;

export interface InspectedImage {
  format: ImageFormat;
  /** Upright size (EXIF orientation applied), as the thumbnail and the UI show it. */
  width: number;
  height: number;
  thumbnail: Thumbnail;
}

export interface InspectInput extends FileProbe {
  /** The file's bytes, or its path when it is too large to hold. */
  input: Buffer | string;
}

/** Decodes an image fully and renders its thumbnail, or throws an ImportFailure saying why not. */
export async function inspectImage(file: InspectInput, maxPixels: number): Promise<InspectedImage> {
  try {
    return await decode(file.input, maxPixels);
  } catch (err) {
    if (err instanceof ImportFailure) throw err;
    let message = messageOf(err);
    if (isUninformative(message)) {
      // Another failing decode wiped the shared error text; once more, alone, to get the real words.
      try {
        return await oneAtATime(() => decode(file.input, maxPixels));
      } catch (again) {
        if (again instanceof ImportFailure) throw again;
        message = messageOf(again);
      }
    }
    throw classifyDecodeFailure(message, file);
  }
}

async function decode(input: Buffer | string, maxPixels: number): Promise<InspectedImage> {
  // failOn 'error' rejects truncated and corrupt data but lets through libjpeg's harmless warnings
  // (e.g. extraneous bytes before a marker), which many cameras write. The pixel limit is checked
  // below on the header, so the refusal can name the size.
  const image = sharp(input, { failOn: 'error', limitInputPixels: false });
  const meta = await image.metadata();
  const format = acceptedFormat(meta);
  const { width, height } = meta.autoOrient ?? meta;
  if (!(width > 0 && height > 0)) throw new ImportFailure('corrupt', `header gives no size (${width}×${height})`);
  if (width * height > maxPixels) {
    throw new ImportFailure('too many pixels', `${width}×${height} = ${megapixels(width * height)} megapixels, over the limit of ${megapixels(maxPixels)}`);
  }
  return { format, width, height, thumbnail: await renderThumbnail(image) };
}

function acceptedFormat(meta: Metadata): ImageFormat {
  switch (meta.format) {
    case 'jpeg':
    case 'png':
    case 'webp':
    case 'gif':
    case 'tiff':
      return meta.format;
    case 'heif':
      if (meta.compression === 'av1') return 'avif';
      throw new ImportFailure('unsupported format', `HEIF with ${meta.compression ?? 'unknown'} compression; only AVIF (AV1) is supported`);
    default:
      throw new ImportFailure('unsupported format', `${meta.format} content; accepted formats are JPEG, PNG, WebP, GIF, TIFF and AVIF`);
  }
}

let queue: Promise<unknown> = Promise.resolve();
function oneAtATime<T>(work: () => Promise<T>): Promise<T> {
  const run = queue.then(work, work);
  queue = run.catch(() => undefined);
  return run;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function megapixels(pixels: number): string {
  const mp = pixels / 1e6;
  if (mp >= 10) return mp.toFixed(0);
  return mp.toFixed(mp >= 1 ? 1 : 3).replace(/\.?0+$/, '');
}
