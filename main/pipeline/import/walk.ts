import type { Dirent } from 'node:fs';
import { lstat, readdir, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { hasImageExtension } from './extensions.ts';
import { failureFromFsError, type ImportErrorReason } from './reasons.ts';

/** An image-named regular file found under the imported folder, by the path it was reached through. */
export interface FoundFile {
  path: string;
}

/** A file or folder the walk could not take in (broken link, loop, FIFO, undecodable name...). */
export interface WalkProblem {
  path: string;
  reason: ImportErrorReason;
  detail: string;
}

export interface WalkResult {
  files: FoundFile[];
  problems: WalkProblem[];
}

interface PendingLink {
  path: string;
  name: string;
  /** Real paths of the folders the link sits in, outermost first. */
  ancestors: ReadonlySet<string>;
}

type EntryKind = 'file' | 'dir' | 'link' | 'special';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Lists the image files under `folder` (an absolute, real path), following symbolic links to files and
 * folders. The real tree is walked first and links after it, so a file reachable both directly and
 * through a link is listed under its direct path. A linked folder whose real path is one of its own
 * ancestors is a symlink loop; one already walked by another route is not walked again. Entries come
 * in byte order of their names, so two walks of the same tree list the same files in the same order.
 */
export async function walkImageFolder(folder: string, options: { signal?: AbortSignal; onProgress?: (found: number) => void } = {}): Promise<WalkResult> {
  const files: FoundFile[] = [];
  const problems: WalkProblem[] = [];
  const walkedFrom = new Map<string, string>(); // real path of a walked folder -> the path it was walked at
  const links: PendingLink[] = [];

  const addFile = (path: string) => {
    files.push({ path });
    if (files.length % 1000 === 0) options.onProgress?.(files.length);
  };

  const visit = async (dir: string, real: string, ancestors: ReadonlySet<string>): Promise<void> => {
    if (options.signal?.aborted) return;
    walkedFrom.set(real, dir);
    let entries: Dirent<Buffer>[];
    try {
      entries = await readdir(dir, { withFileTypes: true, encoding: 'buffer' });
    } catch (err) {
      const f = failureFromFsError(err);
      problems.push({ path: dir, reason: f.reason, detail: `cannot list folder: ${f.detail}` });
      return;
    }
    entries.sort((a, b) => Buffer.compare(a.name, b.name));
    const inside = new Set(ancestors).add(real);
    for (const entry of entries) {
      let name: string;
      try {
        name = utf8.decode(entry.name);
      } catch {
        // Node opens paths through UTF-8 strings, so a file whose name is not UTF-8 cannot be read.
        problems.push({ path: join(dir, entry.name.toString('utf8')), reason: 'unreadable', detail: 'file name is not valid UTF-8' });
        continue;
      }
      const path = join(dir, name);
      const kind = await direntKind(entry, path);
      if (kind === 'link') links.push({ path, name, ancestors: inside });
      else if (kind === 'dir') {
        const childReal = await realpath(path).catch(() => path);
        // Only possible inside a linked folder whose subfolder was already reached through another link.
        if (walkedFrom.has(childReal)) problems.push({ path, reason: 'duplicate folder', detail: `same folder as ${walkedFrom.get(childReal)}, imported from there` });
        else await visit(path, childReal, inside);
      } else if (hasImageExtension(name)) {
        if (kind === 'file') addFile(path);
        // FIFOs, sockets and devices are never opened: reading a FIFO would block the import forever.
        else problems.push({ path, reason: 'unreadable', detail: 'not a regular file (FIFO, socket or device)' });
      }
    }
  };

  const followLink = async (link: PendingLink): Promise<void> => {
    let target;
    try {
      target = await stat(link.path);
    } catch (err) {
      const f = failureFromFsError(err);
      // A broken link matters when it looks like it meant an image; a loop always does.
      if (f.reason === 'symlink loop' || hasImageExtension(link.name)) problems.push({ path: link.path, reason: f.reason, detail: f.detail });
      return;
    }
    if (target.isDirectory()) {
      let real: string;
      try {
        real = await realpath(link.path);
      } catch (err) {
        const f = failureFromFsError(err);
        problems.push({ path: link.path, reason: f.reason, detail: f.detail });
        return;
      }
      if (link.ancestors.has(real)) {
        problems.push({ path: link.path, reason: 'symlink loop', detail: `links back to its own ancestor ${walkedFrom.get(real) ?? real}` });
      } else if (walkedFrom.has(real)) {
        problems.push({ path: link.path, reason: 'duplicate folder', detail: `links to ${walkedFrom.get(real)}, imported from there` });
      } else {
        await visit(link.path, real, link.ancestors);
      }
    } else if (hasImageExtension(link.name)) {
      if (target.isFile()) addFile(link.path);
      else problems.push({ path: link.path, reason: 'unreadable', detail: 'links to something that is not a regular file' });
    }
  };

  await visit(folder, folder, new Set());
  // Links found while following links join the end of the queue, so each is followed exactly once.
  for (let i = 0; i < links.length && !options.signal?.aborted; i++) await followLink(links[i]);
  options.onProgress?.(files.length);
  return { files, problems };
}

async function direntKind(entry: Dirent<Buffer>, path: string): Promise<EntryKind> {
  if (entry.isFile()) return 'file';
  if (entry.isDirectory()) return 'dir';
  if (entry.isSymbolicLink()) return 'link';
  if (entry.isFIFO() || entry.isSocket() || entry.isCharacterDevice() || entry.isBlockDevice()) return 'special';
  // Some file systems do not report entry types in the listing.
  try {
    const s = await lstat(path);
    return s.isSymbolicLink() ? 'link' : s.isDirectory() ? 'dir' : s.isFile() ? 'file' : 'special';
  } catch {
    return 'special';
  }
}
