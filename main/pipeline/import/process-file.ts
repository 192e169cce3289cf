import { inspectImage, type InspectedImage } from './inspect.ts';
import { readImageFile } from './read-file.ts';
import { ImportFailure, type ImportErrorReason } from './reasons.ts';

export interface PendingFile {
  /** Absolute path the file was found at (through any symbolic links). */
  path: string;
  /** Path relative to the project's image root, '/' separated. */
  relPath: string;
  label: string | null;
}

export type FileOutcome =
  | { kind: 'image'; relPath: string; label: string | null; sha256: string; bytes: number; image: InspectedImage }
  | { kind: 'duplicate'; relPath: string; sha256: string; duplicateOf: { id: number; relPath: string } }
  | { kind: 'failed'; relPath: string; reason: ImportErrorReason; detail: string };

export interface ProcessDeps {
  maxPixels: number;
  /** The stored image with these bytes, if any: such a file is a duplicate and is not decoded. */
  findImageByHash(sha256: string): { id: number; relPath: string } | undefined;
}

/** Reads, hashes and decodes one file. Never throws for a bad file: that becomes a 'failed' outcome. */
export async function processFile(file: PendingFile, deps: ProcessDeps): Promise<FileOutcome> {
  try {
    const bytes = await readImageFile(file.path);
    const original = deps.findImageByHash(bytes.sha256);
    if (original) return { kind: 'duplicate', relPath: file.relPath, sha256: bytes.sha256, duplicateOf: original };
    const image = await inspectImage(bytes, deps.maxPixels);
    return { kind: 'image', relPath: file.relPath, label: file.label, sha256: bytes.sha256, bytes: bytes.bytes, image };
  } catch (err) {
    if (err instanceof ImportFailure) return { kind: 'failed', relPath: file.relPath, reason: err.reason, detail: err.detail };
    throw err;
  }
}
