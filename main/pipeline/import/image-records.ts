import type { Db } from '../../db/connection.ts';
import { deleteImportError, imageByHash, imageIdByPath, importErrorPaths, insertImage, insertThumbnail, upsertImportError } from '../../db/images-repo.ts';
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
  constructor(private readonly db: Db) {}

  /**
   * Deletes the error rows of files under `folderRelPath` that the walk no longer found (deleted or
   * moved since), so the list of failures describes the folder as it is now. Returns how many.
   */
  clearVanishedErrors(folderRelPath: string, found: ReadonlySet<string>): number {
    const prefix = folderRelPath === '.' ? '' : `${folderRelPath}/`;
    const vanished = importErrorPaths(this.db).filter((p) => (prefix === '' || p.startsWith(prefix) || p === folderRelPath) && !found.has(p));
    this.db.transaction(() => vanished.forEach((p) => deleteImportError(this.db, p))).immediate();
    return vanished.length;
  }

  hasImage(relPath: string): boolean {
    return imageIdByPath(this.db, relPath) !== undefined;
  }

  findImageByHash(sha256: string): { id: number; relPath: string } | undefined {
    return imageByHash(this.db, sha256);
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
      upsertImportError(this.db, o.relPath, o.reason, o.detail, null, now);
      return o;
    }
    if (this.hasImage(o.relPath)) return { kind: 'already present', relPath: o.relPath };
    // Checked again here: an identical file may have been committed after this one was hashed.
    const original = o.kind === 'duplicate' ? o.duplicateOf : this.findImageByHash(o.sha256);
    if (o.kind === 'duplicate' || original) {
      const of = original!;
      upsertImportError(this.db, o.relPath, 'duplicate', `same content as ${of.relPath}`, of.id, now);
      return { kind: 'duplicate', relPath: o.relPath };
    }
    const { image } = o;
    const id = insertImage(
      this.db,
      { relPath: o.relPath, sha256: o.sha256, width: image.width, height: image.height, bytes: o.bytes, format: image.format, label: o.label },
      now,
    );
    insertThumbnail(this.db, id, image.thumbnail);
    deleteImportError(this.db, o.relPath);
    return { kind: 'added', relPath: o.relPath };
  }
}
