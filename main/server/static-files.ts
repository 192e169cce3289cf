// Serves the built renderer (dist/renderer) and nothing outside it.
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
};

export interface StaticFile {
  data: Buffer;
  mime: string;
  /** Hashed build assets can be cached for good; index.html never. */
  immutable: boolean;
}

/**
 * The file for a URL path inside `root`, or null. Paths with '..' segments, backslashes or NUL are
 * refused outright; a path without an extension that matches no file gets index.html (one-page app).
 */
export async function readStaticFile(root: string, urlPath: string): Promise<StaticFile | null> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.includes('\\') || decoded.split('/').some((s) => s === '..')) return null;
  const base = resolve(root);
  const rel = decoded === '/' ? 'index.html' : decoded.replace(/^\/+/, '');
  let file = resolve(join(base, rel));
  if (file !== base && !file.startsWith(base + sep)) return null;
  if (!existsSync(file) || !statSync(file).isFile()) {
    if (extname(rel) !== '') return null;
    file = join(base, 'index.html');
    if (!existsSync(file)) return null;
  }
  const ext = extname(file).toLowerCase();
  return { data: await readFile(file), mime: MIME[ext] ?? 'application/octet-stream', immutable: rel.startsWith('assets/') };
}

export function rendererBuilt(root: string): boolean {
  return existsSync(join(root, 'index.html'));
}
