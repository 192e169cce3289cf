// Training kernels that the wasm backend lacks or runs slowly, registered once per process.
import { BatchMatMul, Conv2DBackpropFilter, Conv2DBackpropInput, Identity, getKernel, registerKernel, unregisterKernel, type KernelFunc } from '@tensorflow/tfjs-core';
import { batchMatMulConfig } from './batch-mat-mul.ts';
import { conv2dBackpropFilterConfig } from './conv2d-backprop-filter.ts';
import { conv2dBackpropInputConfig } from './conv2d-backprop-input.ts';
import { identityConfig } from './identity.ts';

export interface KernelPatch {
  kernel: string;
  action: 'added' | 'replaced';
  why: string;
}

const WASM = 'wasm';
let patched: KernelPatch[] | null = null;

/**
 * Makes the wasm backend train at the speed of its XNNPACK kernels. tfjs-core's gradient definitions
 * (main/ml/tf-gradients.ts) run these kernels:
 * - Conv2DBackpropFilter: missing on wasm (the gradient of a convolution throws without it);
 * - Conv2DBackpropInput: the stock kernel is a scalar loop;
 * - BatchMatMul: the stock kernel falls back to a plain loop when an operand is flagged as
 *   transposed, which both gradients of every matMul are;
 * - Identity: the stock kernel copies, and the gradient tape clones every tensor it saves.
 * The replacements are built on the backend's own Conv2D, BatchMatMul and Transpose.
 */
export function registerWasmTrainingKernels(): KernelPatch[] {
  if (patched) return patched;
  const patches: KernelPatch[] = [];
  if (!getKernel(Conv2DBackpropFilter, WASM)) {
    registerKernel(conv2dBackpropFilterConfig(WASM));
    patches.push({ kernel: Conv2DBackpropFilter, action: 'added', why: 'missing on wasm; computed as an XNNPACK convolution of the transposed input with dy' });
  }
  const stockInput = getKernel(Conv2DBackpropInput, WASM);
  const fallback: KernelFunc | null = stockInput?.kernelFunc ?? null;
  if (stockInput) unregisterKernel(Conv2DBackpropInput, WASM);
  registerKernel(conv2dBackpropInputConfig(WASM, fallback));
  patches.push({
    kernel: Conv2DBackpropInput,
    action: stockInput ? 'replaced' : 'added',
    why: 'stock wasm kernel is a scalar loop; computed as an XNNPACK convolution with the rotated filter',
  });
  const stockMatMul = getKernel(BatchMatMul, WASM);
  if (stockMatMul) {
    unregisterKernel(BatchMatMul, WASM);
    registerKernel(batchMatMulConfig(WASM, stockMatMul.kernelFunc));
    patches.push({ kernel: BatchMatMul, action: 'replaced', why: 'stock wasm kernel loops in plain code when an operand is transposed; transposed explicitly first' });
  }
  const stockIdentity = getKernel(Identity, WASM);
  if (stockIdentity) {
    unregisterKernel(Identity, WASM);
    registerKernel(identityConfig(WASM, stockIdentity.kernelFunc));
    patches.push({ kernel: Identity, action: 'replaced', why: 'stock wasm kernel copies; the gradient tape clones every saved tensor through it' });
  }
  patched = patches;
  return patches;
}

export function wasmTrainingKernelsRegistered(): boolean {
  return patched !== null;
}
