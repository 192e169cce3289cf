// Whether an ONNX model can serve as a backbone: one 4-D float32 image input with 3 colour channels
// (NCHW or NHWC, square or any size), one 2-D float32 feature output, and a trial run at a given size.
import { basename } from 'node:path';
import { openOnnxModel, type TensorInfo } from '../ml/onnx.ts';
import type { Layout } from './registry.ts';

/** What the model's input and output look like, as far as the file says. */
export interface ModelShape {
  inputName: string;
  outputName: string;
  layout: Layout;
  fixedSize: number | null;
  /** A fixed batch dimension (some exports pin it to 1); null when dynamic. */
  fixedBatch: number | null;
  outputDim: number | null;
}

/** What a registry entry or a sidecar JSON says of the model; unset: taken from the model when unambiguous. */
export interface ExpectedModelIo {
  inputName?: string;
  outputName?: string;
  layout?: Layout;
}

/** Checks that the model takes one image batch and returns one feature vector per image. */
export async function inspectModel(path: string, want: ExpectedModelIo): Promise<ModelShape> {
  let model;
  try {
    model = await openOnnxModel(path, { provider: 'cpu', threads: 1 });
  } catch (err) {
    throw new Error(`${basename(path)} is not a model onnxruntime can load: ${(err as Error).message.replace(/^cannot open .*? provider: /, '')}`);
  }
  try {
    return checkModelShape(path, model.inputs, model.outputs, want);
  } finally {
    await model.close();
  }
}

export function checkModelShape(path: string, inputs: readonly TensorInfo[], outputs: readonly TensorInfo[], want: ExpectedModelIo): ModelShape {
  const name = basename(path);
  if (inputs.length !== 1 && !want.inputName) throw new Error(`${name} has ${inputs.length} inputs (${inputs.map((i) => i.name).join(', ')}); a feature extractor takes one image batch`);
  const input = want.inputName ? inputs.find((i) => i.name === want.inputName) : inputs[0];
  if (!input) throw new Error(`${name} has no input named '${want.inputName}' (inputs: ${inputs.map((i) => i.name).join(', ')})`);
  if (input.type !== 'float32') throw new Error(`${name}: input '${input.name}' is ${input.type ?? 'not a tensor'}, expected float32`);
  if (input.shape.length !== 4) throw new Error(`${name}: input '${input.name}' has shape [${input.shape.join(', ')}], expected 4-D (batch, 3, height, width)`);
  const [batch, d1, d2, d3] = input.shape;
  let layout: Layout;
  if (want.layout) layout = want.layout;
  else if (d1 === 3) layout = 'NCHW';
  else if (d3 === 3) layout = 'NHWC';
  else throw new Error(`${name}: input '${input.name}' has shape [${input.shape.join(', ')}]: no dimension of 3 colour channels at position 1 (NCHW) or 3 (NHWC)`);
  const channels = layout === 'NCHW' ? d1 : d3;
  if (channels !== 3) throw new Error(`${name}: input '${input.name}' has ${channels} channels in ${layout} layout, expected 3`);
  const [h, w] = layout === 'NCHW' ? [d2, d3] : [d1, d2];
  let fixedSize: number | null = null;
  if (typeof h === 'number' || typeof w === 'number') {
    if (h !== w) throw new Error(`${name}: input '${input.name}' takes ${h}x${w} images; only square inputs are supported`);
    fixedSize = h as number;
  }
  if (outputs.length !== 1 && !want.outputName) throw new Error(`${name} has ${outputs.length} outputs (${outputs.map((o) => o.name).join(', ')}); say which one holds the features`);
  const output = want.outputName ? outputs.find((o) => o.name === want.outputName) : outputs[0];
  if (!output) throw new Error(`${name} has no output named '${want.outputName}' (outputs: ${outputs.map((o) => o.name).join(', ')})`);
  if (output.type !== 'float32') throw new Error(`${name}: output '${output.name}' is ${output.type ?? 'not a tensor'}, expected float32`);
  if (output.shape.length !== 2) throw new Error(`${name}: output '${output.name}' has shape [${output.shape.join(', ')}], expected 2-D (batch, features)`);
  return {
    inputName: input.name,
    outputName: output.name,
    layout,
    fixedSize,
    fixedBatch: typeof batch === 'number' ? batch : null,
    outputDim: typeof output.shape[1] === 'number' ? output.shape[1] : null,
  };
}

/** Runs one blank image at `size` to prove the model accepts it; returns the feature dimension. */
export async function trialRun(path: string, shape: ModelShape, layout: Layout, size: number): Promise<number> {
  const model = await openOnnxModel(path, { provider: 'cpu', threads: 1 });
  try {
    const batch = shape.fixedBatch ?? 1;
    const dims = layout === 'NCHW' ? [batch, 3, size, size] : [batch, size, size, 3];
    let out: { dims: number[] };
    try {
      out = await model.run({ name: shape.inputName, data: new Float32Array(batch * 3 * size * size), dims }, shape.outputName);
    } catch (err) {
      throw new Error(`${basename(path)} does not run at ${size}x${size}: ${(err as Error).message.split('\n')[0]}`);
    }
    if (out.dims.length !== 2 || out.dims[0] !== batch) throw new Error(`${basename(path)} returned shape [${out.dims.join(', ')}] for ${batch} image(s), expected [${batch}, features]`);
    if (shape.outputDim !== null && out.dims[1] !== shape.outputDim) throw new Error(`${basename(path)} returned ${out.dims[1]} features, its metadata says ${shape.outputDim}`);
    return out.dims[1];
  } finally {
    await model.close();
  }
}
