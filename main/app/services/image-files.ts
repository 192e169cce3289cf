// Image bytes by id, for the transports' image routes (HTTP /img/..., Electron spice-img://).
// The only way an image reaches a client: an id from a page of rows, never a path.
import { readFile } from 'node:fs/promises';
import { imageAbsolutePath } from '../../pipeline/import/index.ts';
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
    const row = db.prepare('SELECT t.mime, t.data, i.sha256 FROM thumbnails t JOIN images i ON i.id = t.image_id WHERE t.image_id = ?').get(imageId) as
      | { mime: string; data: Buffer; sha256: string }
      | undefined;
    return row ? { mime: row.mime, data: row.data, etag: `"${row.sha256.slice(0, 32)}-t"` } : null;
  }
  const row = db.prepare('SELECT rel_path, format, sha256 FROM images WHERE id = ?').get(imageId) as { rel_path: string; format: string; sha256: string } | undefined;
  if (!row) return null;
  const file = imageAbsolutePath(project, row.rel_path);
  const etag = `"${row.sha256.slice(0, 32)}-f"`;
  const data = await readFile(file);
  const mime = BROWSER_MIME[row.format];
  if (mime) return { mime, data, etag };
  // TIFF and anything else browsers do not show: convert once per request to PNG.
  const { default: sharp } = await import('sharp');
  return { mime: 'image/png', data: await sharp(data).rotate().png().toBuffer(), etag };
}
