// How an export reaches the disk: all or nothing. Everything is written into a scratch path beside the
// target (`<out>.partial-<pid>`), fsynced, and renamed into place only when complete. A write error
// (full disk, quota, I/O error) fails the export and removes the scratch; scratch left by a killed
// export is removed by the next one. Files are created exclusively (O_EXCL, O_NOFOLLOW) inside a
// folder only this user may write, so a symlink planted at a scratch path is never followed.
import { constants, type Dirent } from 'node:fs';
import { mkdir, open, readdir, rename, rm, rmdir, symlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { processAlive } from '../../base/process-identity.ts';

/** A failure to read an original: the image is reported as missing, the export goes on. */
export class SourceReadError extends Error {
  constructor(
    readonly path: string,
    readonly code: string,
  ) {
    super(`cannot read ${path}: ${code}`);
    this.name = 'SourceReadError';
  }
}

/** The operations an export writes with. The real disk by default; a test can make it fail. */
export interface ExportIo {
  /** Copies `source` to a new file `target` (never overwriting, never following a link); SourceReadError when the original cannot be read. */
  copyFile(source: string, target: string): Promise<void>;
  symlink(source: string, target: string): Promise<void>;
  /** Creates a new file with `data`. */
  writeFile(target: string, data: string | Uint8Array): Promise<void>;
  /** Flushes a file or folder to the disk. */
  sync(path: string): Promise<void>;
}

const CREATE_NEW = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0);
const COPY_CHUNK = 256 * 1024;

export const diskIo: ExportIo = {
  async copyFile(source, target) {
    let src: FileHandle;
    try {
      src = await open(source, 'r');
    } catch (err) {
      throw new SourceReadError(source, errorCode(err));
    }
    try {
      const dst = await open(target, CREATE_NEW, 0o644);
      try {
        const buf = Buffer.allocUnsafe(COPY_CHUNK);
        for (;;) {
          let n: number;
          try {
            n = (await src.read(buf, 0, buf.length, null)).bytesRead;
          } catch (err) {
            throw new SourceReadError(source, errorCode(err));
          }
          if (n === 0) break;
          for (let off = 0; off < n;) off += (await dst.write(buf, off, n - off)).bytesWritten;
        }
      } finally {
        await dst.close();
      }
    } finally {
      await src.close();
    }
  },
  async symlink(source, target) {
    try {
      await open(source, 'r').then((h) => h.close());
    } catch (err) {
      throw new SourceReadError(source, errorCode(err));
    }
    await symlink(source, target);
  },
  async writeFile(target, data) {
    const h = await open(target, CREATE_NEW, 0o644);
    try {
      await h.writeFile(data);
    } finally {
      await h.close();
    }
  },
  async sync(path) {
    let h: FileHandle;
    try {
      h = await open(path, 'r');
    } catch (err) {
      // Windows cannot open a folder to flush it; its rename is durable on its own.
      if (errorCode(err) === 'EISDIR' || errorCode(err) === 'EPERM') return;
      throw err;
    }
    try {
      await h.sync();
    } catch (err) {
      if (errorCode(err) !== 'EINVAL' && errorCode(err) !== 'EBADF') throw err;
    } finally {
      await h.close();
    }
  },
};

export function errorCode(err: unknown): string {
  return (err as NodeJS.ErrnoException)?.code ?? (err instanceof Error ? err.message : String(err));
}

/** `<target>.partial-<pid>`: the scratch path of this process for `target`. */
export function scratchPath(target: string): string {
  return `${target}.partial-${process.pid}`;
}

/** Scratch paths this process is writing now (never removed as stale). */
const active = new Set<string>();

/**
 * Removes scratch left beside `target` by exports whose process is gone (killed, crashed) and by this
 * process when no export of it is writing there. A symlink is removed, not followed.
 */
export async function removeStaleScratch(target: string): Promise<string[]> {
  const dir = dirname(target);
  const prefix = `${basename(target)}.partial-`;
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const e of entries) {
    if (!e.name.startsWith(prefix)) continue;
    const pid = Number(e.name.slice(prefix.length));
    if (!Number.isSafeInteger(pid) || pid <= 0) continue;
    const path = join(dir, e.name);
    if (active.has(path)) continue;
    if (pid !== process.pid && processAlive({ pid, start: null, host: null })) continue;
    await rm(path, { recursive: true, force: true });
    removed.push(path);
  }
  return removed;
}

/** Writes one file atomically: scratch, fsync, rename, fsync of the folder. */
export async function writeFileAtomically(target: string, data: string, io: ExportIo = diskIo): Promise<void> {
  await removeStaleScratch(target);
  const scratch = scratchPath(target);
  active.add(scratch);
  try {
    await io.writeFile(scratch, data);
    await io.sync(scratch);
    await rename(scratch, target);
    await io.sync(dirname(target));
  } catch (err) {
    await rm(scratch, { force: true });
    throw err;
  } finally {
    active.delete(scratch);
  }
}

/**
 * A scratch folder for a folder export: created fresh (mode 0700, failing if anything is at that path),
 * filled by `fill`, flushed, then renamed to `target` (an empty folder there is replaced). On any error
 * the scratch is removed and nothing is left at `target`.
 */
export async function writeFolderAtomically<T>(
  target: string,
  fill: (scratch: string) => Promise<{ result: T; files: string[]; folders: string[] }>,
  io: ExportIo = diskIo,
): Promise<T> {
  await removeStaleScratch(target);
  const scratch = scratchPath(target);
  try {
    await mkdir(scratch, { mode: 0o700 });
  } catch (err) {
    if (errorCode(err) === 'EEXIST') throw new Error(`${scratch} appeared while the export started (another export to ${target}?): nothing was written`);
    throw err;
  }
  active.add(scratch);
  try {
    const { result, files, folders } = await fill(scratch);
    await syncAll(files, io);
    for (const f of [...folders].sort((a, b) => b.length - a.length)) await io.sync(f);
    await io.sync(scratch);
    await removeEmptyTarget(target);
    await rename(scratch, target);
    await io.sync(dirname(target));
    return result;
  } catch (err) {
    await rm(scratch, { recursive: true, force: true });
    throw err;
  } finally {
    active.delete(scratch);
  }
}

async function removeEmptyTarget(target: string): Promise<void> {
  try {
    await rmdir(target); // only succeeds on an empty folder: the export checked it was empty
  } catch (err) {
    if (errorCode(err) !== 'ENOENT') throw err;
  }
}

/** fsync of many files, a few at a time: the file system can merge their journal commits. */
async function syncAll(files: readonly string[], io: ExportIo, parallel = 16): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < files.length) await io.sync(files[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(parallel, files.length) }, worker));
}
