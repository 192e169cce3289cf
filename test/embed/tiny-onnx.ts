// Tiny ONNX models for tests of model checks and of preprocessing: ReduceMean over the spatial axes
// turns an image batch into its mean colour per channel.
import { writeFileSync } from 'node:fs';
import { encodeOnnxModel } from '../../main/ml/onnx-graph.ts';

type Dim = number | string;

export interface TinyModelOptions {
  layout?: 'NCHW' | 'NHWC';
  channels?: number;
  /** Keep the reduced axes (gives a 4-D output, which a feature extractor must not have). */
  keepDims?: boolean;
  inputType?: 'float32' | 'int64';
  /** Fixed spatial size instead of symbolic height/width. */
  fixedSize?: number;
}

/** Writes a model whose output is the mean of each input channel over the image. */
export function writeMeanColourModel(path: string, options: TinyModelOptions = {}): void {
  const layout = options.layout ?? 'NCHW';
  const c = options.channels ?? 3;
  const h: Dim = options.fixedSize ?? 'height';
  const w: Dim = options.fixedSize ?? 'width';
  const inShape: Dim[] = layout === 'NCHW' ? ['batch', c, h, w] : ['batch', h, w, c];
  const axes = layout === 'NCHW' ? [2, 3] : [1, 2];
  const keep = options.keepDims ?? false;
  const outShape: Dim[] = keep ? (layout === 'NCHW' ? ['batch', c, 1, 1] : ['batch', 1, 1, c]) : ['batch', c];
  const type = options.inputType ?? 'float32';
  const model = encodeOnnxModel({
    name: 'tiny',
    irVersion: 7,
    opset: 13,
    inputs: [{ name: 'input', type, shape: inShape }],
    outputs: [{ name: 'features', type, shape: outShape }],
    nodes: [{ opType: 'ReduceMean', inputs: ['input'], outputs: ['features'], attributes: { axes, keepdims: keep ? 1 : 0 } }],
  });
  writeFileSync(path, model);
}
