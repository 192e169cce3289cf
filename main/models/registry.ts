// The registry of known backbones (models/registry.json) and where their weights live on this machine.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { downloadVerified, sha256File, type DownloadProgress } from './download.ts';

import type { ChannelOrder, Layout, Triple } from '../db/backbones-repo.ts';

export type { ChannelOrder, Layout, Triple } from '../db/backbones-repo.ts';

export interface RegistryEntry {
  name: string;
  description: string;
  /** File name of the weights, in the cache or a models folder. */
  file: string;
  /** Public download URL; null for local-only entries (weights must be found on disk). */
  url: string | null;
  sha256: string;
  bytes: number | null;
  inputName: string;
  outputName: string;
  layout: Layout;
  channelOrder: ChannelOrder;
  /** On 0..1 pixels: x = (p/255 - mean) / std. */
  mean: Triple;
  std: Triple;
  nativeInputSize: number;
  /** Input size for small (<= 64 px) images; null = use the native size. */
  smallImageInputSize: number | null;
  /** Height and width must be multiples of this; 1 = any. */
  sizeMultiple: number;
  outputDim: number;
  license: string;
  origin: string;
}

export const REPO_DIR = resolve(fileURLToPath(new URL('../..', import.meta.url)));

export function registryPath(): string {
  return process.env.SPICE_MODEL_REGISTRY || join(REPO_DIR, 'models', 'registry.json');
}

/** Per-user folder downloaded weights go to (never the repository). SPICE_CACHE_DIR overrides. */
export function modelCacheDir(): string {
  if (process.env.SPICE_CACHE_DIR) return join(process.env.SPICE_CACHE_DIR, 'models');
  if (process.platform === 'win32') return join(process.env.LOCALAPPDATA ?? join(homedir(), 'AppData', 'Local'), 'spice-workbench', 'Cache', 'models');
  if (process.platform === 'darwin') return join(homedir(), 'Library', 'Caches', 'spice-workbench', 'models');
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'spice-workbench', 'models');
}

/**
 * The read-only data folder beside the checkout (the 10,000 CIFAR-10 test images and more backbones);
 * SPICE_SHARED_DIR points elsewhere (or, set to a missing folder, hides it). A fresh clone has none.
 */
export function sharedDataDir(): string {
  return resolve(process.env.SPICE_SHARED_DIR || join(REPO_DIR, '..', 'shared'));
}

/**
 * The weights shipped with the app: models/ in the checkout. In the packaged app that folder is
 * unpacked from the asar (electron-builder.yml), because onnxruntime's native code reads real files.
 */
export function embeddedModelsDir(): string {
  return unpackedFromAsar(join(REPO_DIR, 'models'));
}

/** A path inside Electron's app.asar as the same path in app.asar.unpacked; any other path as it is. */
export function unpackedFromAsar(path: string): string {
  return path.replace(/([\\/])app\.asar([\\/]|$)/, '$1app.asar.unpacked$2');
}

/** Folders searched for registry weights, in order. */
export function modelSearchDirs(): string[] {
  const dirs = [
    process.env.SPICE_MODELS_DIR,
    modelCacheDir(),
    join(REPO_DIR, 'models', 'downloads'),
    // The default backbone ships with the repository and the app.
    embeddedModelsDir(),
    join(sharedDataDir(), 'models'),
  ];
  return [...new Set(dirs.filter((d): d is string => Boolean(d)).map((d) => resolve(d)))];
}

export function loadRegistry(file = registryPath()): RegistryEntry[] {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`cannot read the backbone registry ${file}: ${(err as Error).message}`);
  }
  const list = (raw as { backbones?: unknown }).backbones;
  if (!Array.isArray(list)) throw new Error(`backbone registry ${file} has no "backbones" list`);
  const entries = list.map((e, i) => parseEntry(e, `${file} entry ${i}`));
  const names = new Set<string>();
  for (const e of entries) {
    if (names.has(e.name)) throw new Error(`backbone registry ${file} lists '${e.name}' twice`);
    names.add(e.name);
  }
  return entries;
}

export function findRegistryEntry(name: string, file?: string): RegistryEntry | undefined {
  return loadRegistry(file).find((e) => e.name === name);
}

// sha256 of a file already checked in this process, keyed by path, size and mtime.
const verified = new Map<string, string>();

export async function fileSha256Cached(path: string): Promise<string> {
  const st = statSync(path);
  const key = `${path}\0${st.size}\0${st.mtimeMs}`;
  const hit = verified.get(key);
  if (hit) return hit;
  const digest = await sha256File(path);
  verified.set(key, digest);
  return digest;
}

export interface LocateOptions {
  onProgress?: (p: DownloadProgress) => void;
  signal?: AbortSignal;
  log?: (message: string, level?: 'info' | 'warn') => void;
}

/** The weights of a registry entry on this machine: found in a models folder, else downloaded into the cache. */
export async function locateRegistryWeights(entry: RegistryEntry, options: LocateOptions = {}): Promise<string> {
  const found = await findLocalWeights(entry, options.log);
  if (found) return found;
  const dirs = modelSearchDirs();
  if (entry.url === null) {
    throw new Error(
      `backbone '${entry.name}' has no public download; put ${entry.file} (sha256 ${entry.sha256}) in one of ${dirs.join(', ')} ` +
        `(or set SPICE_MODELS_DIR to its folder), or pass the path of the .onnx file instead of the name`,
    );
  }
  const dest = join(modelCacheDir(), entry.file);
  options.log?.(`downloading ${entry.name} from ${entry.url} to ${dest}`);
  await downloadVerified(entry.url, dest, { sha256: entry.sha256, onProgress: options.onProgress, signal: options.signal, label: entry.name });
  return dest;
}

async function findLocalWeights(entry: RegistryEntry, log?: LocateOptions['log']): Promise<string | null> {
  for (const dir of modelSearchDirs()) {
    const path = join(dir, entry.file);
    if (!existsSync(path)) continue;
    const digest = await fileSha256Cached(path);
    if (digest === entry.sha256) return path;
    log?.(`ignoring ${path}: its sha256 ${digest} is not the registry's ${entry.sha256}`, 'warn');
  }
  return null;
}

/** Registry entries with whether their weights are already on this machine. */
export async function listRegistryAvailability(): Promise<Array<{ entry: RegistryEntry; path: string | null }>> {
  const out: Array<{ entry: RegistryEntry; path: string | null }> = [];
  for (const entry of loadRegistry()) out.push({ entry, path: await findLocalWeights(entry) });
  return out;
}

function parseEntry(e: unknown, where: string): RegistryEntry {
  if (typeof e !== 'object' || e === null) throw new Error(`${where} is not an object`);
  const o = e as Record<string, unknown>;
  const str = (k: string): string => {
    if (typeof o[k] !== 'string' || o[k] === '') throw new Error(`${where}: "${k}" must be a non-empty string`);
    return o[k] as string;
  };
  const int = (k: string, optional = false): number | null => {
    if (optional && (o[k] === undefined || o[k] === null)) return null;
    if (!Number.isInteger(o[k]) || (o[k] as number) <= 0) throw new Error(`${where}: "${k}" must be a positive integer`);
    return o[k] as number;
  };
  const triple = (k: string): Triple => {
    const v = o[k];
    if (!Array.isArray(v) || v.length !== 3 || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) {
      throw new Error(`${where}: "${k}" must be three numbers`);
    }
    return [v[0], v[1], v[2]];
  };
  const sha = str('sha256').toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(sha)) throw new Error(`${where}: "sha256" must be 64 hex digits`);
  const url = o.url === null || o.url === undefined ? null : str('url');
  if (url !== null && !/^https?:\/\//.test(url)) throw new Error(`${where}: "url" must be http(s) or null`);
  const layout = str('layout');
  if (layout !== 'NCHW' && layout !== 'NHWC') throw new Error(`${where}: "layout" must be NCHW or NHWC`);
  const order = str('channel_order');
  if (order !== 'RGB' && order !== 'BGR') throw new Error(`${where}: "channel_order" must be RGB or BGR`);
  const std = triple('std');
  if (std.some((s) => s <= 0)) throw new Error(`${where}: "std" must be positive`);
  return {
    name: str('name'),
    description: typeof o.description === 'string' ? o.description : '',
    file: str('file'),
    url,
    sha256: sha,
    bytes: int('bytes', true),
    inputName: str('input_name'),
    outputName: str('output_name'),
    layout,
    channelOrder: order,
    mean: triple('mean'),
    std,
    nativeInputSize: int('native_input_size') as number,
    smallImageInputSize: int('small_image_input_size', true),
    sizeMultiple: int('size_multiple', true) ?? 1,
    outputDim: int('output_dim') as number,
    license: str('license'),
    origin: typeof o.origin === 'string' ? o.origin : '',
  };
}
