// ResNet encoder (BasicBlock ResNet-10/18/34) with a MoCo v2 projection head, on NHWC tensors.
// Parameters live in plain maps keyed by layer name so checkpoints, the momentum encoder and the
// optimizer can treat them uniformly.
import { tf } from '../tf-backend.ts';
import { RESNET_BLOCKS, type EncoderSpec } from './config.ts';
import { batchNorm, conv2d, globalAvgPool, l2Normalize, linear, maxPool3x3s2, type LayerContext, type TensorMap } from './layers.ts';
import type { Rng } from '../../base/random.ts';

export interface ParamShape {
  name: string;
  shape: number[];
  init: 'conv' | 'ones' | 'zeros' | { uniform: number };
}

interface ConvSpec {
  name: string;
  k: number;
  cin: number;
  cout: number;
  stride: number;
}

interface BlockSpec {
  prefix: string;
  conv1: ConvSpec;
  conv2: ConvSpec;
  down: ConvSpec | null;
}

interface Layout {
  stem: ConvSpec;
  maxPool: boolean;
  blocks: BlockSpec[];
}

function layout(spec: EncoderSpec): Layout {
  const w = spec.width;
  const stem: ConvSpec = spec.stem === 'small' ? { name: 'stem.conv', k: 3, cin: 3, cout: w, stride: 1 } : { name: 'stem.conv', k: 7, cin: 3, cout: w, stride: 2 };
  const blocks: BlockSpec[] = [];
  let cin = w;
  RESNET_BLOCKS[spec.arch].forEach((count, stage) => {
    const cout = w << stage;
    for (let j = 0; j < count; j++) {
      const stride = j === 0 && stage > 0 ? 2 : 1;
      const prefix = `s${stage + 1}.b${j + 1}`;
      blocks.push({
        prefix,
        conv1: { name: `${prefix}.conv1`, k: 3, cin, cout, stride },
        conv2: { name: `${prefix}.conv2`, k: 3, cin: cout, cout, stride: 1 },
        down: stride !== 1 || cin !== cout ? { name: `${prefix}.down`, k: 1, cin, cout, stride } : null,
      });
      cin = cout;
    }
  });
  return { stem, maxPool: spec.stem === 'large', blocks };
}

/** Every learnable tensor of the encoder (and of the head when projDim is given), in a fixed order. */
export function parameterShapes(spec: EncoderSpec, projDim?: number): ParamShape[] {
  const out: ParamShape[] = [];
  const convBn = (c: ConvSpec, bn: string) => {
    out.push({ name: `${c.name}.w`, shape: [c.k, c.k, c.cin, c.cout], init: 'conv' });
    out.push({ name: `${bn}.gamma`, shape: [c.cout], init: 'ones' }, { name: `${bn}.beta`, shape: [c.cout], init: 'zeros' });
  };
  const l = layout(spec);
  convBn(l.stem, 'stem.bn');
  for (const b of l.blocks) {
    convBn(b.conv1, `${b.prefix}.bn1`);
    convBn(b.conv2, `${b.prefix}.bn2`);
    if (b.down) convBn(b.down, `${b.prefix}.down.bn`);
  }
  if (projDim !== undefined) {
    const d = spec.featureDim;
    const bound = 1 / Math.sqrt(d);
    out.push({ name: 'head.fc1.w', shape: [d, d], init: { uniform: bound } }, { name: 'head.fc1.b', shape: [d], init: { uniform: bound } });
    out.push({ name: 'head.fc2.w', shape: [d, projDim], init: { uniform: bound } }, { name: 'head.fc2.b', shape: [projDim], init: { uniform: bound } });
  }
  return out;
}

/** Running mean and variance of each batch norm. */
export function bufferShapes(spec: EncoderSpec): ParamShape[] {
  return parameterShapes(spec)
    .filter((p) => p.name.endsWith('.gamma'))
    .flatMap((p) => {
      const bn = p.name.slice(0, -'.gamma'.length);
      return [
        { name: `${bn}.mean`, shape: p.shape, init: 'zeros' as const },
        { name: `${bn}.var`, shape: p.shape, init: 'ones' as const },
      ];
    });
}

/** He-normal convolutions (fan-out, as torchvision), unit BN scale, PyTorch-default linear layers. */
export function initTensors(shapes: ParamShape[], rng: Rng): TensorMap {
  const out: TensorMap = new Map();
  for (const p of shapes) {
    const size = p.shape.reduce((a, b) => a * b, 1);
    const v = new Float32Array(size);
    if (p.init === 'conv') {
      const [k, , , cout] = p.shape;
      const std = Math.sqrt(2 / (k * k * cout));
      for (let i = 0; i < size; i++) v[i] = rng.normal() * std;
    } else if (p.init === 'ones') v.fill(1);
    else if (typeof p.init === 'object') {
      const b = p.init.uniform;
      for (let i = 0; i < size; i++) v[i] = rng.uniform(-b, b);
    }
    out.set(p.name, tf.tensor(v, p.shape));
  }
  return out;
}

/** Encoder features [B, featureDim] from an NHWC batch. */
export function encoderForward(spec: EncoderSpec, ctx: LayerContext, x: tf.Tensor4D): tf.Tensor2D {
  const l = layout(spec);
  let h = tf.relu(batchNorm(ctx, 'stem.bn', conv2d(ctx, l.stem.name, x, l.stem.stride)));
  if (l.maxPool) h = maxPool3x3s2(h);
  for (const b of l.blocks) h = basicBlock(ctx, b, h);
  return globalAvgPool(h);
}

function basicBlock(ctx: LayerContext, b: BlockSpec, x: tf.Tensor4D): tf.Tensor4D {
  let h = tf.relu(batchNorm(ctx, `${b.prefix}.bn1`, conv2d(ctx, b.conv1.name, x, b.conv1.stride)));
  h = batchNorm(ctx, `${b.prefix}.bn2`, conv2d(ctx, b.conv2.name, h, 1));
  const shortcut = b.down ? batchNorm(ctx, `${b.prefix}.down.bn`, conv2d(ctx, b.down.name, x, b.down.stride)) : x;
  return tf.relu(tf.add(h, shortcut)) as tf.Tensor4D;
}

/** MoCo v2 projection: fc - ReLU - fc, then unit length. */
export function headForward(ctx: LayerContext, feats: tf.Tensor2D): tf.Tensor2D {
  return l2Normalize(linear(ctx, 'head.fc2', tf.relu(linear(ctx, 'head.fc1', feats))));
}

/**
 * Inference weights with each batch norm folded into the convolution before it (w' = w * s,
 * b' = beta - mean * s, s = gamma / sqrt(var + eps)), so features are one fused conv per layer.
 */
export interface FoldedEncoder {
  spec: EncoderSpec;
  convs: Map<string, { w: tf.Tensor4D; b: tf.Tensor1D }>;
}

export function foldEncoder(spec: EncoderSpec, params: TensorMap, buffers: TensorMap): FoldedEncoder {
  const convs = new Map<string, { w: tf.Tensor4D; b: tf.Tensor1D }>();
  const l = layout(spec);
  const fold = (conv: ConvSpec, bn: string) => {
    const [w, b] = tf.tidy(() => {
      const scale = tf.mul(params.get(`${bn}.gamma`)!, tf.rsqrt(tf.add(buffers.get(`${bn}.var`)!, 1e-5)));
      const w = tf.mul(params.get(`${conv.name}.w`)!, scale) as tf.Tensor4D;
      const b = tf.sub(params.get(`${bn}.beta`)!, tf.mul(buffers.get(`${bn}.mean`)!, scale)) as tf.Tensor1D;
      return [w, b];
    });
    convs.set(conv.name, { w, b });
  };
  fold(l.stem, 'stem.bn');
  for (const b of l.blocks) {
    fold(b.conv1, `${b.prefix}.bn1`);
    fold(b.conv2, `${b.prefix}.bn2`);
    if (b.down) fold(b.down, `${b.prefix}.down.bn`);
  }
  return { spec, convs };
}

export function foldedForward(enc: FoldedEncoder, x: tf.Tensor4D): tf.Tensor2D {
  return tf.tidy(() => {
    const l = layout(enc.spec);
    const conv = (c: ConvSpec, input: tf.Tensor4D, activation: 'relu' | 'linear') => {
      const { w, b } = enc.convs.get(c.name)!;
      return tf.fused.conv2d({ x: input, filter: w, bias: b, strides: c.stride, pad: 'same', activation });
    };
    let h = conv(l.stem, x, 'relu');
    if (l.maxPool) h = tf.maxPool(h, 3, 2, 'same');
    for (const b of l.blocks) {
      const main = conv(b.conv2, conv(b.conv1, h, 'relu'), 'linear');
      const shortcut = b.down ? conv(b.down, h, 'linear') : h;
      h = tf.relu(tf.add(main, shortcut)) as tf.Tensor4D;
    }
    return tf.mean(h, [1, 2]) as tf.Tensor2D;
  });
}

export function disposeFolded(enc: FoldedEncoder): void {
  for (const { w, b } of enc.convs.values()) tf.dispose([w, b]);
  enc.convs.clear();
}
