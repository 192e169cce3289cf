// The only file that imports onnxruntime-node. Everything else sees OnnxModel: open, inspect, run, close.
import { availableParallelism } from 'node:os';
import * as ort from 'onnxruntime-node';
import { CUDA_SETUP_COMMAND, cudaProviderInstalled } from './ort-cuda.ts';

export type ExecutionProvider = 'cuda' | 'cpu';
export type ProviderPreference = ExecutionProvider | 'auto';

/** Fastest first. */
export const PROVIDER_PREFERENCE: readonly ExecutionProvider[] = ['cuda', 'cpu'];

export interface TensorInfo {
  name: string;
  /** 'float32', 'int64', ...; null for a non-tensor value. */
  type: string | null;
  /** Numbers for fixed dimensions, strings for symbolic ones. */
  shape: ReadonlyArray<number | string>;
}

export interface OnnxModel {
  readonly path: string;
  /** Execution provider the session runs on. */
  readonly provider: ExecutionProvider;
  readonly inputs: readonly TensorInfo[];
  readonly outputs: readonly TensorInfo[];
  /** Runs one float32 input through the model and returns one float32 output. */
  run(input: { name: string; data: Float32Array; dims: readonly number[] }, outputName: string): Promise<{ data: Float32Array; dims: number[] }>;
  close(): Promise<void>;
}

/** A session as this module uses it; the real one is onnxruntime-node's InferenceSession. */
export interface SessionLike {
  readonly inputMetadata: readonly ort.InferenceSession.ValueMetadata[];
  readonly outputMetadata: readonly ort.InferenceSession.ValueMetadata[];
  run(feeds: Record<string, ort.Tensor>): Promise<Record<string, ort.Tensor>>;
  release(): Promise<void>;
}

/**
 * What provider selection depends on, injectable so the fallback logic is testable without a GPU:
 * which providers this onnxruntime-node build knows, whether a provider's shared library is installed,
 * and how a session is created.
 */
export interface OrtRuntime {
  listProviders(): Array<{ name: string; bundled: boolean }>;
  providerLibraryPresent(provider: ExecutionProvider): boolean;
  /** From a model file's path, or from the bytes of a model built in code (onnx-graph.ts). */
  createSession(source: string | Uint8Array, options: { provider: ExecutionProvider; threads: number; quiet: boolean }): Promise<SessionLike>;
}

export const nodeOrtRuntime: OrtRuntime = {
  listProviders: () => ort.listSupportedBackends(),
  // The CUDA provider's library is not installed by default (ort-cuda.ts); checking first avoids a
  // noisy native error on every open.
  providerLibraryPresent: (provider) => provider === 'cpu' || cudaProviderInstalled(),
  createSession: async (source, options) => {
    const sessionOptions: ort.InferenceSession.SessionOptions = {
      executionProviders: [options.provider],
      intraOpNumThreads: options.threads,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
      // 3 = errors only; 4 = fatal only, for an attempt whose failure we report ourselves.
      logSeverityLevel: options.quiet ? 4 : 3,
      // Idle intra-op threads sleep instead of spinning, leaving the cores to the decode workers that
      // prepare the next batch (measured on 2 busy cores: 9-10 instead of 14-16 ms CPU per 128-px image).
      // SPICE_ORT_SPIN=1 restores spinning.
      extra: { session: { intra_op: { allow_spinning: process.env.SPICE_ORT_SPIN === '1' ? '1' : '0' } } },
    };
    return typeof source === 'string' ? ort.InferenceSession.create(source, sessionOptions) : ort.InferenceSession.create(source, sessionOptions);
  },
};

export interface ProviderAttempt {
  provider: ExecutionProvider;
  reason: string;
}

export interface OpenOptions {
  /** 'auto' (default; also from SPICE_ORT_PROVIDER) tries CUDA then CPU; a named provider must work. */
  provider?: ProviderPreference;
  /** intraOpNumThreads; default the number of cores. */
  threads?: number;
  /** Told which provider runs, and why others were skipped. */
  log?: (message: string, level?: 'info' | 'warn') => void;
  runtime?: OrtRuntime;
}

/** A model file's path, or a model built in code (onnx-graph.ts) with a name for messages. */
export type ModelSource = string | { name: string; bytes: Uint8Array };

export interface OpenedSession {
  session: SessionLike;
  provider: ExecutionProvider;
  skipped: ProviderAttempt[];
}

/**
 * Opens a session on the fastest provider that works. In 'auto' mode a provider that is unknown to
 * this build, not installed, or fails to create a session is skipped with its reason; the CPU is the
 * last resort. A provider asked for by name is never silently replaced.
 */
export async function openSessionWithFallback(source: ModelSource, options: OpenOptions = {}): Promise<OpenedSession> {
  const path = typeof source === 'string' ? source : `the built-in ${source.name} graph`;
  const runtime = options.runtime ?? nodeOrtRuntime;
  const threads = options.threads ?? availableParallelism();
  const requested = options.provider ?? parsePreference(process.env.SPICE_ORT_PROVIDER);
  const order: readonly ExecutionProvider[] = requested === 'auto' ? PROVIDER_PREFERENCE : [requested];
  const known = new Set(runtime.listProviders().map((p) => p.name));
  const skipped: ProviderAttempt[] = [];
  for (const provider of order) {
    const explicit = requested !== 'auto';
    let reason: string | null = null;
    if (!known.has(provider)) reason = `this onnxruntime-node build has no '${provider}' provider`;
    else if (!runtime.providerLibraryPresent(provider)) {
      reason = `the ${provider.toUpperCase()} provider library is not installed with onnxruntime-node (on a CUDA 12 machine: ${CUDA_SETUP_COMMAND})`;
    }
    if (reason === null) {
      try {
        const session = await runtime.createSession(typeof source === 'string' ? source : source.bytes, { provider, threads, quiet: provider !== 'cpu' });
        options.log?.(
          `onnxruntime: running on ${describeProvider(provider, threads)}${skipped.length ? ` (skipped ${skipped.map((s) => `${s.provider}: ${s.reason}`).join('; ')})` : ''}`,
        );
        return { session, provider, skipped };
      } catch (err) {
        reason = firstLine(err);
        if (explicit || provider === 'cpu') throw new Error(`cannot open ${path} on the ${provider} execution provider: ${reason}`);
      }
    } else if (explicit) {
      throw new Error(`execution provider '${provider}' was requested but is not available: ${reason}`);
    }
    skipped.push({ provider, reason });
  }
  throw new Error(`no onnxruntime execution provider could open ${path}: ${skipped.map((s) => `${s.provider}: ${s.reason}`).join('; ')}`);
}

export async function openOnnxModel(path: string, options: OpenOptions = {}): Promise<OnnxModel> {
  const { session, provider } = await openSessionWithFallback(path, options);
  let closed = false;
  return {
    path,
    provider,
    inputs: session.inputMetadata.map(toInfo),
    outputs: session.outputMetadata.map(toInfo),
    async run(input, outputName) {
      if (closed) throw new Error(`model ${path} is closed`);
      const tensor = new ort.Tensor('float32', input.data, input.dims as number[]);
      const out = await session.run({ [input.name]: tensor });
      const value = out[outputName];
      if (!value) throw new Error(`model ${path} has no output '${outputName}' (outputs: ${Object.keys(out).join(', ')})`);
      if (value.type !== 'float32') throw new Error(`output '${outputName}' of ${path} is ${value.type}, expected float32`);
      const dims = [...value.dims].map(Number);
      const data = value.data as Float32Array;
      for (const v of Object.values(out)) if (v !== value) v.dispose();
      return { data, dims };
    },
    async close() {
      if (closed) return;
      closed = true;
      await session.release();
    },
  };
}

export type GraphTensor = { type: 'float32'; data: Float32Array; dims: readonly number[] } | { type: 'int64'; data: BigInt64Array; dims: readonly number[] };

/** A model built in code, run with several typed inputs and outputs. */
export interface OnnxGraph {
  readonly provider: ExecutionProvider;
  run(feeds: Record<string, GraphTensor>): Promise<Record<string, GraphTensor>>;
  close(): Promise<void>;
}

export async function openOnnxGraph(source: { name: string; bytes: Uint8Array }, options: OpenOptions = {}): Promise<OnnxGraph> {
  const { session, provider } = await openSessionWithFallback(source, options);
  return {
    provider,
    async run(feeds) {
      const tensors: Record<string, ort.Tensor> = {};
      for (const [name, feed] of Object.entries(feeds)) tensors[name] = new ort.Tensor(feed.type, feed.data, [...feed.dims]);
      const out = await session.run(tensors);
      const result: Record<string, GraphTensor> = {};
      for (const [name, value] of Object.entries(out)) {
        const dims = [...value.dims].map(Number);
        if (value.type === 'float32') result[name] = { type: 'float32', data: value.data as Float32Array, dims };
        else if (value.type === 'int64') result[name] = { type: 'int64', data: value.data as BigInt64Array, dims };
        else throw new Error(`${source.name}: output '${name}' is ${value.type}, expected float32 or int64`);
      }
      return result;
    },
    close: () => session.release(),
  };
}

/** Inputs and outputs of a model file, read by opening it on the CPU. */
export async function inspectOnnxModel(path: string): Promise<{ inputs: TensorInfo[]; outputs: TensorInfo[] }> {
  const model = await openOnnxModel(path, { provider: 'cpu', threads: 1 });
  try {
    return { inputs: [...model.inputs], outputs: [...model.outputs] };
  } finally {
    await model.close();
  }
}

export function describeProvider(provider: ExecutionProvider, threads: number): string {
  return provider === 'cuda' ? 'CUDA (GPU)' : `CPU (${threads} threads)`;
}

function parsePreference(value: string | undefined): ProviderPreference {
  if (value === undefined || value === '' || value === 'auto') return 'auto';
  if (value === 'cuda' || value === 'cpu') return value;
  throw new Error(`SPICE_ORT_PROVIDER must be auto, cuda or cpu, got '${value}'`);
}

function toInfo(m: ort.InferenceSession.ValueMetadata): TensorInfo {
  return m.isTensor ? { name: m.name, type: m.type, shape: [...m.shape] } : { name: m.name, type: null, shape: [] };
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0];
}
