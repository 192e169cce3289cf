// Streams a model file to disk while hashing it; only a file whose sha256 matches lands at `dest`.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { once } from 'node:events';

export interface DownloadProgress {
  bytes: number;
  /** From Content-Length; null when the server does not say. */
  totalBytes: number | null;
}

export interface DownloadOptions {
  /** Expected lowercase hex sha256; a mismatch deletes the download and throws. */
  sha256: string;
  onProgress?: (p: DownloadProgress) => void;
  signal?: AbortSignal;
  /** What the download is, for messages (e.g. the backbone name). */
  label?: string;
}

export class DownloadError extends Error {
  constructor(message: string, readonly code: 'offline' | 'http' | 'checksum' | 'io' | 'aborted') {
    super(message);
    this.name = 'DownloadError';
  }
}

export async function downloadVerified(url: string, dest: string, options: DownloadOptions): Promise<{ bytes: number; sha256: string }> {
  const label = options.label ?? url;
  mkdirSync(dirname(dest), { recursive: true });
  // Unique per process so two downloads of the same file never write into one partial.
  const partial = `${dest}.${process.pid}.partial`;
  let response: Response;
  try {
    response = await fetch(url, { signal: options.signal, redirect: 'follow' });
  } catch (err) {
    if (options.signal?.aborted) throw new DownloadError(`download of ${label} cancelled`, 'aborted');
    throw new DownloadError(`cannot download ${label} from ${url}: ${networkReason(err)}. Are you offline? Download the file by hand and pass its path instead.`, 'offline');
  }
  if (!response.ok || !response.body) {
    throw new DownloadError(`cannot download ${label} from ${url}: HTTP ${response.status} ${response.statusText}`.trim(), 'http');
  }
  const lengthHeader = response.headers.get('content-length');
  const totalBytes = lengthHeader !== null && /^\d+$/.test(lengthHeader) ? Number(lengthHeader) : null;
  const hash = createHash('sha256');
  const out = createWriteStream(partial);
  let bytes = 0;
  try {
    options.onProgress?.({ bytes, totalBytes });
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      hash.update(chunk);
      bytes += chunk.length;
      if (!out.write(chunk)) await once(out, 'drain');
      options.onProgress?.({ bytes, totalBytes });
    }
    out.end();
    await once(out, 'finish');
  } catch (err) {
    out.destroy();
    rmSync(partial, { force: true });
    if (options.signal?.aborted) throw new DownloadError(`download of ${label} cancelled`, 'aborted');
    throw new DownloadError(`download of ${label} from ${url} broke off after ${bytes} bytes: ${networkReason(err)}`, 'io');
  }
  const digest = hash.digest('hex');
  if (digest !== options.sha256.toLowerCase()) {
    rmSync(partial, { force: true });
    throw new DownloadError(
      `checksum mismatch for ${label} from ${url}: expected sha256 ${options.sha256}, got ${digest} (${bytes} bytes). The file was not kept.`,
      'checksum',
    );
  }
  renameSync(partial, dest);
  return { bytes, sha256: digest };
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function networkReason(err: unknown): string {
  // undici reports the socket error as `cause`.
  const cause = (err as { cause?: NodeJS.ErrnoException })?.cause;
  const code = cause?.code ?? (err as NodeJS.ErrnoException)?.code;
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host not found';
    case 'ETIMEDOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
      return 'connection timed out';
    case 'ECONNRESET':
      return 'connection reset';
  }
  const msg = cause?.message ?? (err instanceof Error ? err.message : String(err));
  return code ? `${msg} (${code})` : msg;
}
