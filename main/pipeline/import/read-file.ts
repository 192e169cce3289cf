import { open, readFile, stat } from 'node:fs/promises';
import { sha256OfBytes, sha256OfFile } from './content-hash.ts';
import type { InspectInput } from './inspect.ts';
import { PROBE_BYTES } from './magic.ts';
import { failureFromFsError, ImportFailure } from './reasons.ts';

/** Files up to this size are read once and decoded from memory; larger ones are streamed twice. */
const IN_MEMORY_LIMIT_BYTES = 256 * 1024 * 1024;

export interface FileBytes extends InspectInput {
  sha256: string;
}

/** Reads and hashes one file, or throws an ImportFailure ('unreadable', 'empty file'). */
export async function readImageFile(path: string): Promise<FileBytes> {
  try {
    const st = await stat(path);
    if (!st.isFile()) throw new ImportFailure('unreadable', 'not a regular file');
    if (st.size === 0) throw new ImportFailure('empty file', 'the file has zero bytes');
    if (st.size <= IN_MEMORY_LIMIT_BYTES) {
      const buf = await readFile(path);
      if (buf.length === 0) throw new ImportFailure('empty file', 'the file has zero bytes');
      const probe = { head: buf.subarray(0, PROBE_BYTES), tail: buf.subarray(Math.max(0, buf.length - PROBE_BYTES)) };
      return { bytes: buf.length, sha256: sha256OfBytes(buf), input: buf, ...probe };
    }
    const head = Buffer.alloc(PROBE_BYTES);
    const tail = Buffer.alloc(PROBE_BYTES);
    const fh = await open(path, 'r');
    try {
      await fh.read(head, 0, PROBE_BYTES, 0);
      await fh.read(tail, 0, PROBE_BYTES, st.size - PROBE_BYTES);
    } finally {
      await fh.close();
    }
    return { bytes: st.size, sha256: await sha256OfFile(path), input: path, head, tail };
  } catch (err) {
    throw err instanceof ImportFailure ? err : failureFromFsError(err);
  }
}
