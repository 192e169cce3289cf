// BatchMatMul for the wasm backend with the transpose flags done as explicit transposes.
//
// The stock kernel multiplies with XNNPACK only when neither operand is flagged as transposed; with a
// flag it is a plain loop, about 15x slower (measured: 1000x128 by 1000x1280, A transposed, 440 ms
// against 30 ms for a transpose copy and a plain product). The gradient of every matMul is two
// flagged products, so training hits this on every dense layer.
import { BatchMatMul, Transpose, type BatchMatMulAttrs, type KernelBackend, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import { withKernelScope } from './kernel-scope.ts';

export function batchMatMulViaTranspose(backendName: string, stock: KernelFunc): KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args;
    const { a, b } = inputs as { a: TensorInfo; b: TensorInfo };
    const { transposeA, transposeB } = attrs as unknown as BatchMatMulAttrs;
    if (!transposeA && !transposeB) return stock(args);
    return withKernelScope(backend as KernelBackend, backendName, (s) => {
      const swapLast = (t: TensorInfo) => {
        const perm = t.shape.map((_, i) => i);
        perm.splice(-2, 2, perm.length - 1, perm.length - 2);
        return s.run(Transpose, { x: t }, { perm });
      };
      const plain = { transposeA: false, transposeB: false };
      return stock({ inputs: { a: transposeA ? swapLast(a) : a, b: transposeB ? swapLast(b) : b }, backend, attrs: plain as never });
    });
  };
}

export function batchMatMulConfig(backendName: string, stock: KernelFunc): KernelConfig {
  return { kernelName: BatchMatMul, backendName, kernelFunc: batchMatMulViaTranspose(backendName, stock) };
}
