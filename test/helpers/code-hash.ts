// A digest of the code (and the files it reads) that produces a cached test artefact, so a cache is
// rebuilt whenever that code changes, without a hand-bumped version number.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { REPO_DIR } from './paths.ts';

const fileDigests = new Map<string, string>();

function filesUnder(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path)
    .sort()
    .flatMap((name) => filesUnder(join(path, name)));
}

/** sha256 of one file, computed once per process. */
export function fileDigest(path: string): string {
  let d = fileDigests.get(path);
  if (!d) {
    d = createHash('sha256').update(readFileSync(path)).digest('hex');
    fileDigests.set(path, d);
  }
  return d;
}

/**
 * Digest of every file under `paths` (files or folders, relative to the repository root; names and
 * bytes), plus the versions of the npm packages named in `packages` (native code changes results too).
 */
export function codeDigest(paths: readonly string[], packages: readonly string[] = []): string {
  const h = createHash('sha256');
  for (const p of paths) {
    for (const file of filesUnder(join(REPO_DIR, p))) h.update(`${relative(REPO_DIR, file)}\0${fileDigest(file)}\n`);
  }
  // Read directly: not every package exports its package.json.
  for (const name of packages)
    h.update(`${name}@${(JSON.parse(readFileSync(join(REPO_DIR, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version}\n`);
  return h.digest('hex');
}
