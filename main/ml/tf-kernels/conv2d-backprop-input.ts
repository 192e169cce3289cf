// Conv2DBackpropInput for the wasm backend through its fast forward convolution.
//
// The stock wasm kernel is a scalar loop (measured ~1.5 GFLOP/s against ~18 for the XNNPACK forward
// convolution), and in training it runs once per conv layer per step. The input gradient is a
// convolution of dy, zero-upsampled by the stride, with the filter rotated 180 degrees and its in/out
// channels swapped:
//   dx[ih] = sum_kh dy_up[ih + kh' - (KH-1-p)] * W'[kh'],  W'[kh',kw',co,ci] = W[KH-1-kh', KW-1-kw', ci, co]
// Zero-upsampling is a reshape to [n, oh, 1, ow, 1, c], a pad to [n, oh, s, ow, s, c] and a reshape back.
import {
  backend_util,
  Conv2D,
  Conv2DBackpropInput,
  PadV2,
  Reshape,
  Reverse,
  Slice,
  Transpose,
  type Conv2DBackpropInputAttrs,
  type KernelBackend,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { withKernelScope } from './kernel-scope.ts';

/** `fallback` is the backend's own kernel, used for layouts this one does not cover (NCHW, pad > kernel-1). */
export function conv2dBackpropInputViaConv(backendName: string, fallback: KernelFunc | null): KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args;
    const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
    const { strides, pad, dataFormat, dimRoundingMode, inputShape } = attrs as unknown as Conv2DBackpropInputAttrs;
    const info =
      dataFormat === 'NCHW'
        ? null
        : backend_util.computeConv2DInfo(inputShape, filter.shape as [number, number, number, number], strides, 1, pad, dimRoundingMode, false, 'channelsLast');
    if (!info || info.padInfo.top > info.filterHeight - 1 || info.padInfo.left > info.filterWidth - 1) {
      if (!fallback) throw new Error(`Conv2DBackpropInput on ${backendName}: unsupported layout or padding`);
      return fallback(args);
    }
    const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels, filterHeight, filterWidth, strideHeight, strideWidth } = info;
    return withKernelScope(backend as KernelBackend, backendName, (s) => {
      let up = dy;
      if (strideHeight > 1 || strideWidth > 1) {
        const six = s.run(Reshape, { x: dy }, { shape: [batchSize, outHeight, 1, outWidth, 1, outChannels] });
        const padded = s.run(
          PadV2,
          { x: six },
          {
            paddings: [
              [0, 0],
              [0, 0],
              [0, strideHeight - 1],
              [0, 0],
              [0, strideWidth - 1],
              [0, 0],
            ],
            constantValue: 0,
          },
        );
        up = s.run(Reshape, { x: padded }, { shape: [batchSize, outHeight * strideHeight, outWidth * strideWidth, outChannels] });
      }
      const flipped = s.run(Reverse, { x: filter }, { dims: [0, 1] });
      const rotated = s.run(Transpose, { x: flipped }, { perm: [0, 1, 3, 2] });
      const top = filterHeight - 1 - info.padInfo.top;
      const left = filterWidth - 1 - info.padInfo.left;
      const upHeight = up.shape[1];
      const upWidth = up.shape[2];
      // Upsampling leaves stride-1 extra zero rows at the end; when they overshoot, crop the result.
      const bottom = Math.max(0, inHeight - upHeight - top + filterHeight - 1);
      const right = Math.max(0, inWidth - upWidth - left + filterWidth - 1);
      let dx = s.run(
        Conv2D,
        { x: up, filter: rotated },
        {
          strides: [1, 1],
          dilations: [1, 1],
          pad: [
            [0, 0],
            [top, bottom],
            [left, right],
            [0, 0],
          ],
          dataFormat: 'NHWC',
        },
      );
      if (dx.shape[1] !== inHeight || dx.shape[2] !== inWidth) {
        dx = s.run(Slice, { x: dx }, { begin: [0, 0, 0, 0], size: [batchSize, inHeight, inWidth, inChannels] });
      }
      return s.keep(dx);
    });
  };
}

export function conv2dBackpropInputConfig(backendName: string, fallback: KernelFunc | null): KernelConfig {
  return { kernelName: Conv2DBackpropInput, backendName, kernelFunc: conv2dBackpropInputViaConv(backendName, fallback) };
}
