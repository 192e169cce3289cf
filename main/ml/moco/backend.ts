// Picks the TensorFlow.js backend for training and makes it able to train convolutions fast.
import { initTfBackend, type TfBackendInfo, type TfBackendName } from '../tf-backend.ts';
import { registerWasmTrainingKernels, type KernelPatch } from '../tf-kernels/index.ts';

export interface TrainingBackend {
  info: TfBackendInfo;
  patches: KernelPatch[];
  /** One line for logs and the UI: what runs and what was patched. */
  summary: string;
  /** Set when the backend is far slower than an alternative; shown as a warning, never silently. */
  warning: string | null;
}

export async function initTrainingBackend(preferred?: TfBackendName | 'auto'): Promise<TrainingBackend> {
  const info = await initTfBackend(preferred);
  const patches = info.name === 'wasm' ? registerWasmTrainingKernels() : [];
  const patched = patches.length ? `; wasm kernels ${patches.map((p) => `${p.kernel} ${p.action}`).join(', ')}` : '';
  let warning: string | null = null;
  if (info.name === 'cpu') {
    const wasmSkip = info.skipped.find((s) => s.name === 'wasm');
    warning = `training on the plain JavaScript backend, over 100x slower than the WebAssembly one (measured 0.26 against 37 images/s)${wasmSkip ? ` (wasm: ${wasmSkip.reason})` : ' (chosen explicitly)'}`;
  } else if (info.name === 'wasm') {
    const gpuSkip = info.skipped.find((s) => s.name === 'tensorflow-gpu');
    if (gpuSkip && gpuSkip.reason !== 'not installed') warning = `the CUDA backend is installed but did not load (${gpuSkip.reason}); training on the CPU instead`;
  }
  return { info, patches, summary: `${info.name}: ${info.description}${patched}`, warning };
}
