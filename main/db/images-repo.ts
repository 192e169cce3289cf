// Imported images, their thumbnails and the files that failed to import (tables images, thumbnails,
// import_errors, migration 001), with the counts every view of a project starts from.
import type { Db } from './connection.ts';
import { insert, many, one, run, tuples, value, values } from './statements.ts';

export interface NewImage {
  relPath: string;
  sha256: string;
  width: number;
  height: number;
  bytes: number;
  format: string;
  /** Ground-truth (folder) label, if the import found one. */
  label: string | null;
}

export interface NewThumbnail {
  mime: string;
  width: number;
  height: number;
  data: Buffer | Uint8Array;
}

export interface ImportErrorRow {
  path: string;
  reason: string;
  detail: string | null;
}

/** An image's stored facts, or undefined when there is no such image. */
export function getImage(
  db: Db,
  imageId: number,
): { id: number; relPath: string; width: number; height: number; format: string; bytes: number; label: string | null } | undefined {
  return one(db, 'SELECT id, rel_path, width, height, format, bytes, label FROM images WHERE id = ?', imageId);
}

export function countImages(db: Db): number {
  return value<number>(db, 'SELECT COUNT(*) FROM images') ?? 0;
}

/** Every image's id and content hash, as [id, sha256]. */
export function imageHashes(db: Db): Array<[number, string]> {
  return tuples<[number, string]>(db, 'SELECT id, sha256 FROM images');
}

/** Every image as `id:sha256`, comma-separated in id order (one string built by SQLite; null without images). */
export function imageHashList(db: Db): string | null {
  return value<string | null>(db, `SELECT group_concat(id || ':' || sha256, ',' ORDER BY id) FROM images`) ?? null;
}

/** Every image's id and path, in id order. */
export function imagePaths(db: Db): Array<{ id: number; relPath: string }> {
  return many(db, 'SELECT id, rel_path FROM images ORDER BY id');
}

export function imageSha256(db: Db, imageId: number): string | undefined {
  return value<string>(db, 'SELECT sha256 FROM images WHERE id = ?', imageId);
}

/** What serving an image's file needs, or undefined when there is no such image. */
export function imageFile(db: Db, imageId: number): { relPath: string; format: string; sha256: string } | undefined {
  return one(db, 'SELECT rel_path, format, sha256 FROM images WHERE id = ?', imageId);
}

/** An image's thumbnail with the image's content hash, or undefined when it has none. */
export function thumbnailOf(db: Db, imageId: number): { mime: string; data: Buffer; sha256: string } | undefined {
  return one(db, 'SELECT t.mime, t.data, i.sha256 FROM thumbnails t JOIN images i ON i.id = t.image_id WHERE t.image_id = ?', imageId);
}

/**
 * The larger side (width or height) of the image at this rank when images are ordered by it (0: the
 * smallest); undefined past the last image.
 */
export function largerSideAtRank(db: Db, rank: number): number | undefined {
  return value<number>(db, 'SELECT MAX(width, height) AS side FROM images ORDER BY side LIMIT 1 OFFSET ?', rank);
}

export function imageExists(db: Db, imageId: number): boolean {
  return value(db, 'SELECT 1 FROM images WHERE id = ?', imageId) !== undefined;
}

export function imageIdByPath(db: Db, relPath: string): number | undefined {
  return value<number>(db, 'SELECT id FROM images WHERE rel_path = ?', relPath);
}

export function imageIdByHash(db: Db, sha256: string): number | undefined {
  return value<number>(db, 'SELECT id FROM images WHERE sha256 = ?', sha256);
}

export function imageByHash(db: Db, sha256: string): { id: number; relPath: string } | undefined {
  return one(db, 'SELECT id, rel_path FROM images WHERE sha256 = ?', sha256);
}

export function insertImage(db: Db, image: NewImage, now: number): number {
  return insert(
    db,
    `INSERT INTO images (rel_path, sha256, width, height, bytes, format, label, imported_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    image.relPath,
    image.sha256,
    image.width,
    image.height,
    image.bytes,
    image.format,
    image.label,
    now,
  );
}

export function insertThumbnail(db: Db, imageId: number, t: NewThumbnail): void {
  run(db, 'INSERT INTO thumbnails (image_id, mime, width, height, data) VALUES (?, ?, ?, ?, ?)', imageId, t.mime, t.width, t.height, t.data);
}

/** Records (or replaces) why a file was not imported. */
export function upsertImportError(db: Db, relPath: string, reason: string, detail: string | null, duplicateOf: number | null, now: number): void {
  run(
    db,
    `INSERT INTO import_errors (rel_path, reason, detail, duplicate_of, recorded_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT(rel_path) DO UPDATE SET reason = excluded.reason, detail = excluded.detail,
         duplicate_of = excluded.duplicate_of, recorded_at = excluded.recorded_at`,
    relPath,
    reason,
    detail,
    duplicateOf,
    now,
  );
}

export function deleteImportError(db: Db, relPath: string): void {
  run(db, 'DELETE FROM import_errors WHERE rel_path = ?', relPath);
}

export function importErrorPaths(db: Db): string[] {
  return values<string>(db, 'SELECT rel_path FROM import_errors');
}

export function countImportErrors(db: Db): number {
  return value<number>(db, 'SELECT COUNT(*) FROM import_errors') ?? 0;
}

/** A page of the files not imported: other failures first, then duplicates, each by path. */
export function importErrorPage(db: Db, limit: number, offset: number): Array<{ relPath: string; reason: string; detail: string | null; duplicateOf: number | null }> {
  return many(db, `SELECT rel_path, reason, detail, duplicate_of FROM import_errors ORDER BY reason = 'duplicate', rel_path LIMIT ? OFFSET ?`, limit, offset);
}

/** Files not imported for another reason than being a duplicate, by path. */
export function importFailures(db: Db): ImportErrorRow[] {
  return many<ImportErrorRow>(db, `SELECT rel_path AS path, reason, detail FROM import_errors WHERE reason <> 'duplicate' ORDER BY rel_path`);
}

/** Whether any image has a ground-truth (folder) label. */
export function anyGroundTruth(db: Db): boolean {
  return value(db, 'SELECT 1 FROM images WHERE label IS NOT NULL LIMIT 1') !== undefined;
}

/** The ground-truth (folder) labels images carry, sorted. */
export function groundTruthLabels(db: Db): string[] {
  return values<string>(db, 'SELECT DISTINCT label FROM images WHERE label IS NOT NULL ORDER BY label');
}

/** The counts the CLI's status and the app's project summary both show. */
export interface ProjectCounts {
  images: number;
  /** Images with a ground-truth (folder) label. */
  labelled: number;
  duplicates: number;
  /** Files not imported for another reason than being a duplicate. */
  errors: number;
}

export function projectCounts(db: Db): ProjectCounts {
  return one<ProjectCounts>(
    db,
    `SELECT (SELECT COUNT(*) FROM images) AS images,
            (SELECT COUNT(*) FROM images WHERE label IS NOT NULL) AS labelled,
            (SELECT COUNT(*) FROM import_errors WHERE reason = 'duplicate') AS duplicates,
            (SELECT COUNT(*) FROM import_errors WHERE reason <> 'duplicate') AS errors`,
  )!;
}
