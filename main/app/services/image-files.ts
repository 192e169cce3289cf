// Image bytes by id, for the transports' image routes (HTTP /img/..., Electron spice-img://).
// The only way an image reaches a client: an id from a page of rows, never a path.
import { readFile } from 'node:fs/promises';
import { imageAbsolutePath } from '../../pipeline/import/import-job.ts';
import { imageFile, thumbnailOf } from '../../db/images-repo.ts';
import type { Project } from '../../project/project.ts';
import type { ImageKind } from './image-ref.ts';
import type { Session } from './session.ts';

export { parseImageRef, type ImageKind } from './image-ref.ts';

export interface ImageBytes {
  mime: string;
  data: Buffer;
  /** Content hash + kind: the same id may name another image in another project. */
  etag: string;
}

const BROWSER_MIME: Record<string, string> = {
  jpeg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
  gif: 'image/gif',
  avif: 'image/avif',
};

/** The image's bytes, or null when there is no open project or no such image. */
export function readImageBytes(session: Session, kind: ImageKind, imageId: number): Promise<ImageBytes | null> {
  return readProjectImage(session.project, kind, imageId);
}

/**
 * The same from a project handle of its own (the service host's image reader holds a read-only one, so
 * images are answered while the services' thread is busy with a job).
 */
export async function readProjectImage(project: Project | null, kind: ImageKind, imageId: number): Promise<ImageBytes | null> {
  if (!project) return null;
  const db = project.db;
  if (kind === 'thumb') {
    const row = thumbnailOf(db, imageId);
    return row ? { mime: row.mime, data: row.data, etag: `"${row.sha256.slice(0, 32)}-t"` } : null;
  }
  const row = imageFile(db, imageId);
  if (!row) return null;
  const file = imageAbsolutePath(project, row.relPath);
  const etag = `"${row.sha256.slice(0, 32)}-f"`;
  const data = await readFile(file);
  const mime = BROWSER_MIME[row.format];
  if (mime) return { mime, data, etag };
  // TIFF and anything else browsers do not show: convert once per request to PNG.
  const { default: sharp } = await import('sharp');
  return { mime: 'image/png', data: await sharp(data).rotate().png().toBuffer(), etag };
}
