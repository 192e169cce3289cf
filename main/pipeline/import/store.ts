import type { Db } from '../../db/connection.ts';
import type { FileOutcome } from './process-file.ts';
import type { ImportErrorReason } from './reasons.ts';

/** What a committed outcome turned out to be (an 'image' can still lose a race to a duplicate). */
export type CommitResult =
  | { kind: 'added'; relPath: string }
  | { kind: 'already present'; relPath: string }
  | { kind: 'duplicate'; relPath: string }
  | { kind: 'failed'; relPath: string; reason: ImportErrorReason; detail: string };

/** The import's reads and writes of images, thumbnails and import_errors. */
export class ImportStore {
  private readonly imageByPath;
  private readonly imageByHash;
  private readonly insertImage;
  private readonly insertThumbnail;
  private readonly upsertError;
  private readonly deleteError;

  constructor(private readonly db: Db) {
    this.imageByPath = db.prepare('SELECT id FROM images WHERE rel_path = ?').pluck();
    this.imageByHash = db.prepare('SELECT id, rel_path AS relPath FROM images WHERE sha256 = ?');
    this.insertImage = db.prepare(
      `INSERT INTO images (rel_path, sha256, width, height, bytes, format, label, imported_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.insertThumbnail = db.prepare('INSERT INTO thumbnails (image_id, mime, width, height, data) VALUES (?, ?, ?, ?, ?)');
    this.upsertError = db.prepare(
      `INSERT INTO import_errors (rel_path, reason, detail, duplicate_of, recorded_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT(rel_path) DO UPDATE SET reason = excluded.reason, detail = excluded.detail,
         duplicate_of = excluded.duplicate_of, recorded_at = excluded.recorded_at`,
    );
    this.deleteError = db.prepare('DELETE FROM import_errors WHERE rel_path = ?');
  }

  /**
   * Deletes the error rows of files under `folderRelPath` that the walk no longer found (deleted or
   * moved since), so the list of failures describes the folder as it is now. Returns how many.
   */
  clearVanishedErrors(folderRelPath: string, found: ReadonlySet<string>): number {
    const prefix = folderRelPath === '.' ? '' : `${folderRelPath}/`;
    const paths = this.db.prepare('SELECT rel_path FROM import_errors').pluck().all() as string[];
    const vanished = paths.filter((p) => (prefix === '' || p.startsWith(prefix) || p === folderRelPath) && !found.has(p));
    this.db.transaction(() => vanished.forEach((p) => this.deleteError.run(p))).immediate();
    return vanished.length;
  }

  hasImage(relPath: string): boolean {
    return this.imageByPath.get(relPath) !== undefined;
  }

  findImageByHash(sha256: string): { id: number; relPath: string } | undefined {
    return this.imageByHash.get(sha256) as { id: number; relPath: string } | undefined;
  }

  /**
   * Writes a batch in one transaction: each image with its thumbnail, or its error row. A process
   * killed mid-import therefore leaves whole images only, and a rerun skips exactly what is here.
   */
  commit(outcomes: readonly FileOutcome[]): CommitResult[] {
    return this.db.transaction(() => outcomes.map((o) => this.commitOne(o))).immediate();
  }

  private commitOne(o: FileOutcome): CommitResult {
    const now = Date.now();
    if (o.kind === 'failed') {
      this.upsertError.run(o.relPath, o.reason, o.detail, null, now);
      return o;
    }
    if (this.hasImage(o.relPath)) return { kind: 'already present', relPath: o.relPath };
    // Checked again here: an identical file may have been committed after this one was hashed.
    const original = o.kind === 'duplicate' ? o.duplicateOf : this.findImageByHash(o.sha256);
    if (o.kind === 'duplicate' || original) {
      const of = original!;
      this.upsertError.run(o.relPath, 'duplicate', `same content as ${of.relPath}`, of.id, now);
      return { kind: 'duplicate', relPath: o.relPath };
    }
    const { image } = o;
    const id = Number(
      this.insertImage.run(o.relPath, o.sha256, image.width, image.height, o.bytes, image.format, o.label, now).lastInsertRowid,
    );
    const t = image.thumbnail;
    this.insertThumbnail.run(id, t.mime, t.width, t.height, t.data);
    this.deleteError.run(o.relPath);
    return { kind: 'added', relPath: o.relPath };
  }
}
