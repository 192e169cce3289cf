import type { Sharp } from 'sharp';

/** Longest side of a stored thumbnail; smaller images keep their size (the UI scales them up). */
export const THUMBNAIL_MAX_SIDE = 128;
export const THUMBNAIL_MIME = 'image/webp';
const THUMBNAIL_QUALITY = 90;

export interface Thumbnail {
  mime: string;
  width: number;
  height: number;
  data: Buffer;
}

/**
 * Renders the thumbnail of an opened image, upright (EXIF orientation applied). This decodes every
 * pixel, so it is also where a truncated or corrupt body is caught.
 */
export async function renderThumbnail(image: Sharp): Promise<Thumbnail> {
  const { data, info } = await image
    .autoOrient()
    .resize({ width: THUMBNAIL_MAX_SIDE, height: THUMBNAIL_MAX_SIDE, fit: 'inside', withoutEnlargement: true })
    .webp({ quality: THUMBNAIL_QUALITY })
    .toBuffer({ resolveWithObject: true });
  return { mime: THUMBNAIL_MIME, width: info.width, height: info.height, data };
}
