// Hand-encoded tiny ONNX models (protobuf written field by field) for tests of model checks and of
// preprocessing: ReduceMean over the spatial axes turns an image batch into its mean colour per channel.
import { writeFileSync } from 'node:fs';

function varint(n: number): number[] {
  const out: number[] = [];
  let v = BigInt(n);
  if (v < 0n) v += 1n << 64n;
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) byte |= 0x80;
    out.push(byte);
  } while (v > 0n);
  return out;
}

const key = (field: number, wire: number) => varint((field << 3) | wire);
const int = (field: number, v: number) => [...key(field, 0), ...varint(v)];
const bytes = (field: number, b: number[]) => [...key(field, 2), ...varint(b.length), ...b];
const str = (field: number, s: string) => bytes(field, [...Buffer.from(s, 'utf8')]);

type Dim = number | string;

function valueInfo(name: string, elemType: number, shape: Dim[]): number[] {
  const dims = shape.flatMap((d) => bytes(1, typeof d === 'number' ? int(1, d) : str(2, d)));
  const tensorType = [...int(1, elemType), ...bytes(2, dims)];
  return [...str(1, name), ...bytes(2, bytes(1, tensorType))];
}

function node(op: string, inputs: string[], outputs: string[], attrs: number[][]): number[] {
  return [...inputs.flatMap((i) => str(1, i)), ...outputs.flatMap((o) => str(2, o)), ...str(3, `${op}_0`), ...str(4, op), ...attrs.flatMap((a) => bytes(5, a))];
}

const intsAttr = (name: string, values: number[]) => [...str(1, name), ...values.flatMap((v) => int(8, v)), ...int(20, 7)];
const intAttr = (name: string, v: number) => [...str(1, name), ...int(3, v), ...int(20, 2)];

const FLOAT = 1;
const INT64 = 7;

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
  const graph = [
    ...bytes(1, node('ReduceMean', ['input'], ['features'], [intsAttr('axes', axes), intAttr('keepdims', keep ? 1 : 0)])),
    ...str(2, 'tiny'),
    ...bytes(11, valueInfo('input', options.inputType === 'int64' ? INT64 : FLOAT, inShape)),
    ...bytes(12, valueInfo('features', options.inputType === 'int64' ? INT64 : FLOAT, outShape)),
  ];
  const model = [...int(1, 7), ...str(2, 'spice-workbench-test'), ...bytes(7, graph), ...bytes(8, [...str(1, ''), ...int(2, 13)])];
  writeFileSync(path, Buffer.from(model));
}
