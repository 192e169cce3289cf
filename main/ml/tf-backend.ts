// The only place that chooses and loads a TensorFlow.js backend. Training code imports `tf` from here.
import * as tf from '@tensorflow/tfjs-core';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export { tf };

export type TfBackendName = 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu';

export interface TfBackendInfo {
  name: TfBackendName;
  /** Human-readable: what runs, and why it was chosen. */
  description: string;
  gpu: boolean;
  /** Backends that were tried first and why they were not used. */
  skipped: Array<{ name: TfBackendName; reason: string }>;
}

/** Fastest first. tfjs-node(-gpu) are optional: they download libtensorflow at install time. */
export const BACKEND_PREFERENCE: readonly TfBackendName[] = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];

const require = createRequire(import.meta.url);
let active: TfBackendInfo | null = null;
let loading: Promise<TfBackendInfo> | null = null;

type Loader = () => Promise<string>;

const loaders: Record<TfBackendName, Loader> = {
  // Both native packages register the backend named 'tensorflow' when imported.
  'tensorflow-gpu': async () => {
    require('@tensorflow/tfjs-node-gpu');
    return 'tensorflow';
  },
  tensorflow: async () => {
    require('@tensorflow/tfjs-node');
    return 'tensorflow';
  },
  wasm: async () => {
    const wasm = require('@tensorflow/tfjs-backend-wasm') as typeof import('@tensorflow/tfjs-backend-wasm');
    const dist = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm')), '/');
    wasm.setWasmPaths(dist.endsWith('/') ? dist : `${dist}/`);
    return 'wasm';
  },
  cpu: async () => {
    require('@tensorflow/tfjs-backend-cpu');
    return 'cpu';
  },
};

/**
 * Picks the fastest backend present, or `preferred` (also from SPICE_TF_BACKEND). An explicitly
 * requested backend that cannot load is an error, never a silent fallback.
 */
export async function initTfBackend(preferred?: TfBackendName | 'auto'): Promise<TfBackendInfo> {
  const requested = preferred ?? (process.env.SPICE_TF_BACKEND as TfBackendName | 'auto' | undefined) ?? 'auto';
  // One load at a time: a second tf.setBackend while the first backend is still initialising makes
  // tfjs fall back to its plain JavaScript backend (the app's info request and a job starting together
  // left training 20 times slower).
  while (loading) await loading.catch(() => undefined);
  if (active && (requested === 'auto' || requested === active.name)) return active;
  loading = loadBackend(requested);
  try {
    return await loading;
  } finally {
    loading = null;
  }
}

async function loadBackend(requested: TfBackendName | 'auto'): Promise<TfBackendInfo> {
  if (requested !== 'auto' && !BACKEND_PREFERENCE.includes(requested)) {
    throw new Error(`unknown TensorFlow.js backend '${requested}'; choose one of ${BACKEND_PREFERENCE.join(', ')} or auto`);
  }
  const order = requested === 'auto' ? BACKEND_PREFERENCE : [requested];
  const skipped: TfBackendInfo['skipped'] = [];
  for (const name of order) {
    try {
      const tfName = await loaders[name]();
      const ok = await tf.setBackend(tfName);
      if (!ok) throw new Error(`tf.setBackend('${tfName}') returned false`);
      await tf.ready();
      const gpu = name === 'tensorflow-gpu';
      active = { name, gpu, skipped, description: describe(name, skipped) };
      return active;
    } catch (err) {
      const reason = (err as Error).message.split('\n')[0];
      if (requested !== 'auto') throw new Error(`TensorFlow.js backend '${name}' is not available: ${reason}`);
      skipped.push({ name, reason: isMissing(err) ? 'not installed' : reason });
    }
  }
  throw new Error(`no TensorFlow.js backend could be loaded: ${skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')}`);
}

export function activeTfBackend(): TfBackendInfo | null {
  return active;
}

function isMissing(err: unknown): boolean {
  return (err as NodeJS.ErrnoException)?.code === 'MODULE_NOT_FOUND';
}

function describe(name: TfBackendName, skipped: TfBackendInfo['skipped']): string {
  const what: Record<TfBackendName, string> = {
    'tensorflow-gpu': 'TensorFlow.js on libtensorflow with CUDA (GPU)',
    tensorflow: 'TensorFlow.js on native libtensorflow (CPU)',
    wasm: 'TensorFlow.js WebAssembly backend (CPU, SIMD)',
    cpu: 'TensorFlow.js plain JavaScript backend (CPU, slowest)',
  };
  const why = skipped.length ? ` (skipped: ${skipped.map((s) => `${s.name} ${s.reason}`).join(', ')})` : '';
  return `${what[name]}${why}`;
}
