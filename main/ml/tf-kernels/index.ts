// Training kernels that the wasm backend lacks or runs slowly, registered once per process.
import { getKernel, registerKernel, unregisterKernel, type KernelFunc } from '@tensorflow/tfjs-core';
import { conv2dBackpropFilterConfig } from './conv2d-backprop-filter.ts';
import { conv2dBackpropInputConfig } from './conv2d-backprop-input.ts';

export interface KernelPatch {
  kernel: string;
  action: 'added' | 'replaced';
  why: string;
}

const WASM = 'wasm';
let patched: KernelPatch[] | null = null;

/**
 * Makes the wasm backend able to train convolutions at its forward-convolution speed:
 * adds Conv2DBackpropFilter (missing; without it tf.grad through a conv throws) and replaces the
 * scalar-loop Conv2DBackpropInput. Both are built on the backend's own XNNPACK Conv2D.
 * Everything else training needs (Relu/BN/pooling/matmul gradients) already exists on wasm.
 */
export function registerWasmTrainingKernels(): KernelPatch[] {
  if (patched) return patched;
  const patches: KernelPatch[] = [];
  if (!getKernel('Conv2DBackpropFilter', WASM)) {
    registerKernel(conv2dBackpropFilterConfig(WASM));
    patches.push({ kernel: 'Conv2DBackpropFilter', action: 'added', why: 'missing on wasm; computed as an XNNPACK convolution of the transposed input with dy' });
  }
  const stock = getKernel('Conv2DBackpropInput', WASM);
  const fallback: KernelFunc | null = stock?.kernelFunc ?? null;
  if (stock) unregisterKernel('Conv2DBackpropInput', WASM);
  registerKernel(conv2dBackpropInputConfig(WASM, fallback));
  patches.push({ kernel: 'Conv2DBackpropInput', action: stock ? 'replaced' : 'added', why: 'stock wasm kernel is a scalar loop; computed as an XNNPACK convolution with the rotated filter' });
  patched = patches;
  return patches;
}

export function wasmTrainingKernelsRegistered(): boolean {
  return patched !== null;
}
