// Conv2DBackpropFilter for the wasm backend, which ships without it (so the gradient of a conv fails there).
//
// The filter gradient dW[kh,kw,ci,co] = sum over n,oh,ow of x[n, oh*s+kh-p, ow*s+kw-p, ci] * dy[n,oh,ow,co]
// is itself a convolution once the batch becomes the channel axis:
//   X' = x transposed to [ci, h, w, n]    (batch = input channel, channels = images)
//   F  = dy transposed to [oh, ow, n, co] (an oh x ow "filter" over the images)
//   conv2d(X', F, stride 1, dilation s, pad top/left p) = [ci, kh, kw, co]  ->  transposed to [kh, kw, ci, co]
// so the work runs in the backend's fast XNNPACK convolution (an implicit im2col GEMM with K = n*oh*ow)
// instead of a scalar loop, at the cost of three transposes.
import {
  backend_util,
  Conv2D,
  Conv2DBackpropFilter,
  Slice,
  Transpose,
  type Conv2DBackpropFilterAttrs,
  type KernelBackend,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { withKernelScope } from './kernel-scope.ts';

export function conv2dBackpropFilterViaConv(backendName: string): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
    const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as Conv2DBackpropFilterAttrs;
    if (dataFormat === 'NCHW') throw new Error(`Conv2DBackpropFilter on ${backendName} supports NHWC only`);
    const info = backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filterShape, strides, 1, pad, dimRoundingMode, false, 'channelsLast');
    const { inHeight, inWidth, outHeight, outWidth, filterHeight, filterWidth, strideHeight, strideWidth, inChannels, outChannels } = info;
    const top = info.padInfo.top;
    const left = info.padInfo.left;
    // Rows past the input's end only meet zero padding; pad just enough that the output covers kh < KH.
    const bottom = Math.max(0, filterHeight + (outHeight - 1) * strideHeight - inHeight - top);
    const right = Math.max(0, filterWidth + (outWidth - 1) * strideWidth - inWidth - left);
    return withKernelScope(backend as KernelBackend, backendName, (s) => {
      const xT = s.run(Transpose, { x }, { perm: [3, 1, 2, 0] });
      const dyT = s.run(Transpose, { x: dy }, { perm: [1, 2, 0, 3] });
      let grad = s.run(
        Conv2D,
        { x: xT, filter: dyT },
        {
          strides: [1, 1],
          dilations: [strideHeight, strideWidth],
          pad: [
            [0, 0],
            [top, bottom],
            [left, right],
            [0, 0],
          ],
          dataFormat: 'NHWC',
        },
      );
      if (grad.shape[1] !== filterHeight || grad.shape[2] !== filterWidth) {
        grad = s.run(Slice, { x: grad }, { begin: [0, 0, 0, 0], size: [inChannels, filterHeight, filterWidth, outChannels] });
      }
      return s.keep(s.run(Transpose, { x: grad }, { perm: [1, 2, 0, 3] }));
    });
  };
}

export function conv2dBackpropFilterConfig(backendName: string): KernelConfig {
  return { kernelName: Conv2DBackpropFilter, backendName, kernelFunc: conv2dBackpropFilterViaConv(backendName) };
}
