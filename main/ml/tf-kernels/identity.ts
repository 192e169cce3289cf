// Identity for the wasm backend that shares the input's buffer (as the cpu backend's does) instead
// of copying it. While a gradient tape records, tfjs-core clones every tensor a gradient will need
// through Identity, so the stock kernel copied every saved activation of every training step
// (measured: ~50 ms of a 320 ms MoCo step, ResNet-18 width 8, batch 32, 32 px). Tensors are
// immutable, and the backend counts references per buffer as its Reshape already relies on.
import { Identity, type KernelBackend, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';

export function identitySharingBuffer(stock: KernelFunc): KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    if (x.dtype === 'string') return stock(args);
    (args.backend as KernelBackend).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
}

export function identityConfig(backendName: string, stock: KernelFunc): KernelConfig {
  return { kernelName: Identity, backendName, kernelFunc: identitySharingBuffer(stock) };
}
