// Preprocessing facts about a local .onnx file, read from the JSON of the same base name beside it.
// Two layouts are understood: the shared models' ({ sha256, license, onnx: { mean, std, ... } }) and a
// flat one with the registry's keys (mean, std, channel_order, native_input_size, ...).
import { existsSync, readFileSync } from 'node:fs';
import type { ChannelOrder, Layout, Triple } from './registry.ts';

export interface SidecarInfo {
  file: string;
  sha256?: string;
  license?: string;
  inputName?: string;
  outputName?: string;
  layout?: Layout;
  channelOrder?: ChannelOrder;
  mean?: Triple;
  std?: Triple;
  nativeInputSize?: number;
  smallImageInputSize?: number;
  sizeMultiple?: number;
  outputDim?: number;
}

export function sidecarPath(onnxPath: string): string {
  return onnxPath.replace(/\.onnx$/i, '') + '.json';
}

/** The sidecar's facts, or null when there is no JSON beside the model. A malformed one is an error. */
export function readSidecar(onnxPath: string): SidecarInfo | null {
  const file = sidecarPath(onnxPath);
  if (!existsSync(file)) return null;
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`cannot read ${file}: ${(err as Error).message}`);
  }
  if (typeof raw !== 'object' || raw === null) throw new Error(`${file} is not a JSON object`);
  const o = (typeof raw.onnx === 'object' && raw.onnx !== null ? raw.onnx : raw) as Record<string, unknown>;
  const bad = (key: string, want: string) => new Error(`${file}: "${key}" must be ${want}`);
  const triple = (key: string): Triple | undefined => {
    const v = o[key];
    if (v === undefined) return undefined;
    if (!Array.isArray(v) || v.length !== 3 || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) throw bad(key, 'three numbers');
    return [v[0], v[1], v[2]];
  };
  const posInt = (key: string): number | undefined => {
    const v = o[key];
    if (v === undefined || v === null) return undefined;
    if (!Number.isInteger(v) || (v as number) <= 0) throw bad(key, 'a positive integer');
    return v as number;
  };
  const text = (src: Record<string, unknown>, key: string): string | undefined => (typeof src[key] === 'string' ? (src[key] as string) : undefined);

  const layout = text(o, 'layout');
  if (layout !== undefined && layout !== 'NCHW' && layout !== 'NHWC') throw bad('layout', 'NCHW or NHWC');
  const order = text(o, 'channel_order');
  if (order !== undefined && order !== 'RGB' && order !== 'BGR') throw bad('channel_order', 'RGB or BGR');
  const std = triple('std');
  if (std?.some((s) => s <= 0)) throw bad('std', 'positive');
  // "multiples of 32" in the shared models' free-text allowed_input_sizes.
  const allowed = text(o, 'allowed_input_sizes');
  const multipleFromText = allowed ? /multiples? of (\d+)/i.exec(allowed)?.[1] : undefined;
  const outputShape = o.output_shape;
  const outputDim =
    posInt('output_dim') ??
    (Array.isArray(outputShape) && outputShape.length === 2 && Number.isInteger(outputShape[1]) ? (outputShape[1] as number) : undefined);
  const sha = text(raw, 'sha256');
  if (sha !== undefined && !/^[0-9a-fA-F]{64}$/.test(sha)) throw bad('sha256', '64 hex digits');
  return {
    file,
    sha256: sha?.toLowerCase(),
    license: text(raw, 'license'),
    inputName: text(o, 'input_name'),
    outputName: text(o, 'output_name'),
    layout: layout as Layout | undefined,
    channelOrder: order as ChannelOrder | undefined,
    mean: triple('mean'),
    std,
    nativeInputSize: posInt('native_input_size'),
    smallImageInputSize: posInt('recommended_input_size_for_32px_images') ?? posInt('small_image_input_size'),
    sizeMultiple: posInt('size_multiple') ?? (multipleFromText ? Number(multipleFromText) : undefined),
    outputDim,
  };
}
