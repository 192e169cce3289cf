// Runs other kernels of the same backend from inside a kernel, on raw TensorInfos, and frees every
// intermediate it made. This is how the wasm backend composes its own kernels (e.g. BatchMatMul).
import { getKernel, type KernelBackend, type NamedAttrMap, type NamedTensorInfoMap, type TensorInfo } from '@tensorflow/tfjs-core';

export class KernelScope {
  private readonly made: TensorInfo[] = [];

  constructor(
    private readonly backend: KernelBackend,
    private readonly backendName: string,
  ) {}

  run(kernelName: string, inputs: NamedTensorInfoMap, attrs: object = {}): TensorInfo {
    const config = getKernel(kernelName, this.backendName);
    if (!config) throw new Error(`kernel ${kernelName} is not registered for the ${this.backendName} backend`);
    const out = config.kernelFunc({ inputs, backend: this.backend, attrs: attrs as NamedAttrMap });
    if (Array.isArray(out)) throw new Error(`kernel ${kernelName} returned several outputs; KernelScope.run expects one`);
    this.made.push(out);
    return out;
  }

  /** Hands `t` to the caller: it is not freed by dispose(). */
  keep(t: TensorInfo): TensorInfo {
    const i = this.made.indexOf(t);
    if (i >= 0) this.made.splice(i, 1);
    return t;
  }

  dispose(): void {
    for (const t of this.made) this.backend.disposeData(t.dataId);
    this.made.length = 0;
  }
}

/** Runs `body` with a scope and frees the scope's intermediates afterwards, also on error. */
export function withKernelScope<T>(backend: KernelBackend, backendName: string, body: (s: KernelScope) => T): T {
  const scope = new KernelScope(backend, backendName);
  try {
    return body(scope);
  } finally {
    scope.dispose();
  }
}
