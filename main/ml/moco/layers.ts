// Layers with an explicit backward pass. tfjs-core ships no gradient definitions of its own (they
// live in the @tensorflow/tfjs bundle), and a hand-written backward lets batch norm use its closed
// form and lets the key encoder run without any tape. Each forward returns its output and, when
// gradients are wanted, a closure that maps dL/dy to dL/dx and stores the parameter gradients.
import { tf } from '../tf-backend.ts';

export type Tensor = tf.Tensor;
export type TensorMap = Map<string, tf.Tensor>;
/** Maps dL/d(output) to dL/d(input); null when the input needs no gradient (the image batch). */
export type Backward = (dy: Tensor) => Tensor | null;

export const BN_EPS = 1e-5;

export type BatchNormMode =
  /** Batch statistics in `splits` groups; running statistics updated into `updates`. */
  | { kind: 'batch'; splits: number; momentum: number; updates: TensorMap }
  /** Stored running statistics. */
  | { kind: 'running' };

export interface LayerContext {
  params: TensorMap;
  /** Running mean/var of every batch norm. */
  buffers: TensorMap;
  /** Where gradients go; null = forward only. */
  grads: TensorMap | null;
  bn: BatchNormMode;
}

function param(ctx: LayerContext, name: string): Tensor {
  const t = ctx.params.get(name);
  if (!t) throw new Error(`missing parameter ${name}`);
  return t;
}

function buffer(ctx: LayerContext, name: string): Tensor {
  const t = ctx.buffers.get(name);
  if (!t) throw new Error(`missing buffer ${name}`);
  return t;
}

function setGrad(ctx: LayerContext, name: string, g: Tensor): void {
  const prev = ctx.grads!.get(name);
  ctx.grads!.set(name, prev ? tf.add(prev, g) : g);
}

/**
 * 'same' padding everywhere (TensorFlow's: on stride 2 the odd pixel pads the bottom/right): every
 * backend implements it natively, which explicit padding is not on all of them.
 */
export function conv2d(ctx: LayerContext, name: string, x: tf.Tensor4D, stride: number, needInputGrad = true): [tf.Tensor4D, Backward] {
  const w = param(ctx, `${name}.w`) as tf.Tensor4D;
  const y = tf.conv2d(x, w, stride, 'same');
  const back: Backward = (dy) => {
    const attrs = { strides: [stride, stride], pad: 'same', dataFormat: 'NHWC', dimRoundingMode: undefined };
    const gw = tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { ...attrs, filterShape: w.shape } as never) as Tensor;
    setGrad(ctx, `${name}.w`, gw);
    if (!needInputGrad) return null;
    return tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: w }, { ...attrs, inputShape: x.shape } as never) as Tensor;
  };
  return [y, back];
}

const indicatorCache = new Map<string, tf.Tensor2D>();

/** [G, G*M] with row g = 1 on columns g*M..(g+1)*M-1; kept for the process (a few sizes per model). */
function groupIndicator(g: number, m: number): tf.Tensor2D {
  const key = `${g}x${m}`;
  let t = indicatorCache.get(key);
  if (!t) {
    const v = new Float32Array(g * g * m);
    for (let i = 0; i < g; i++) v.fill(1, i * g * m + i * m, i * g * m + (i + 1) * m);
    t = tf.keep(tf.tensor2d(v, [g, g * m]));
    indicatorCache.set(key, t);
  }
  return t;
}

/**
 * Per-group column sums of x [G, M, C] -> [G, 1, C], as one 2-D product with a group indicator: the
 * wasm backend reduces a middle axis by transposing first, and runs batched products one by one.
 */
function groupSum(x: tf.Tensor3D): tf.Tensor3D {
  const [g, m, c] = x.shape;
  return tf.reshape(tf.matMul(groupIndicator(g, m), tf.reshape(x, [g * m, c]) as tf.Tensor2D), [g, 1, c]);
}

/**
 * Batch norm. Training mode normalises each of `splits` slices of the batch with its own statistics
 * (one device standing in for several, as shuffle-BN needs); the backward pass is the closed form
 *   dx = gamma rstd (dy - S1/M - xc rstd^2 S2/M),  S1 = sum dy,  S2 = sum dy xc  (per slice and channel).
 */
export function batchNorm(ctx: LayerContext, name: string, x: tf.Tensor4D): [tf.Tensor4D, Backward] {
  const gamma = param(ctx, `${name}.gamma`);
  const beta = param(ctx, `${name}.beta`);
  if (ctx.bn.kind === 'running') {
    const y = tf.batchNorm(x, buffer(ctx, `${name}.mean`), buffer(ctx, `${name}.var`), beta, gamma, BN_EPS) as tf.Tensor4D;
    return [y, () => { throw new Error('no backward through batch norm with running statistics'); }];
  }
  const [b, h, w, c] = x.shape;
  const groups = ctx.bn.splits;
  const m = (b / groups) * h * w;
  const xs = tf.reshape(x, [groups, m, c]) as tf.Tensor3D;
  const mean = tf.div(groupSum(xs), m);
  const xc = tf.sub(xs, mean) as tf.Tensor3D;
  const variance = tf.div(groupSum(tf.square(xc) as tf.Tensor3D), m);
  const rstd = tf.rsqrt(tf.add(variance, BN_EPS));
  const y = tf.reshape(tf.add(tf.mul(xc, tf.mul(rstd, gamma)), beta), x.shape) as tf.Tensor4D;

  const momentum = ctx.bn.momentum;
  const unbias = m > 1 ? m / (m - 1) : 1;
  const batchMean = tf.reshape(tf.mean(mean, 0), [c]);
  const batchVar = tf.reshape(tf.mul(tf.mean(variance, 0), unbias), [c]);
  ctx.bn.updates.set(`${name}.mean`, tf.add(tf.mul(buffer(ctx, `${name}.mean`), 1 - momentum), tf.mul(batchMean, momentum)));
  ctx.bn.updates.set(`${name}.var`, tf.add(tf.mul(buffer(ctx, `${name}.var`), 1 - momentum), tf.mul(batchVar, momentum)));

  const back: Backward = (dy) => {
    const dys = tf.reshape(dy, [groups, m, c]) as tf.Tensor3D;
    const s1 = groupSum(dys);
    const s2 = groupSum(tf.mul(dys, xc) as tf.Tensor3D);
    setGrad(ctx, `${name}.beta`, tf.reshape(tf.sum(s1, [0, 1]), [c]));
    setGrad(ctx, `${name}.gamma`, tf.reshape(tf.sum(tf.mul(s2, rstd), [0, 1]), [c]));
    const a = tf.mul(gamma, rstd);
    const coefXc = tf.neg(tf.div(tf.mul(a, tf.mul(tf.square(rstd), s2)), m));
    const shift = tf.neg(tf.div(tf.mul(a, s1), m));
    const dx = tf.add(tf.add(tf.mul(dys, a), tf.mul(xc, coefXc)), shift);
    return tf.reshape(dx, x.shape);
  };
  return [y, back];
}

export function relu<T extends Tensor>(x: T): [T, Backward] {
  const y = tf.relu(x);
  return [y, (dy) => tf.mul(dy, tf.step(y))];
}

export function maxPool3x3s2(x: tf.Tensor4D): [tf.Tensor4D, Backward] {
  const y = tf.maxPool(x, 3, 2, 'same');
  const back: Backward = (dy) =>
    tf.engine().runKernel('MaxPoolGrad', { dy, input: x, output: y }, { filterSize: 3, strides: 2, pad: 'same', dimRoundingMode: undefined } as never) as Tensor;
  return [y, back];
}

export function globalAvgPool(x: tf.Tensor4D): [tf.Tensor2D, Backward] {
  const [b, h, w, c] = x.shape;
  const y = tf.mean(x, [1, 2]) as tf.Tensor2D;
  return [y, (dy) => tf.broadcastTo(tf.reshape(tf.div(dy, h * w), [b, 1, 1, c]), [b, h, w, c])];
}

export function linear(ctx: LayerContext, name: string, x: tf.Tensor2D): [tf.Tensor2D, Backward] {
  const w = param(ctx, `${name}.w`) as tf.Tensor2D;
  const bias = param(ctx, `${name}.b`);
  const y = tf.add(tf.matMul(x, w), bias) as tf.Tensor2D;
  const back: Backward = (dy) => {
    setGrad(ctx, `${name}.w`, tf.matMul(x, dy as tf.Tensor2D, true, false));
    setGrad(ctx, `${name}.b`, tf.sum(dy, 0));
    return tf.matMul(dy as tf.Tensor2D, w, false, true);
  };
  return [y, back];
}

/** Rows scaled to unit length. */
export function l2Normalize(z: tf.Tensor2D): [tf.Tensor2D, Backward] {
  const norm = tf.add(tf.sqrt(tf.sum(tf.square(z), 1, true)), 1e-12);
  const q = tf.div(z, norm) as tf.Tensor2D;
  return [q, (dq) => tf.div(tf.sub(dq, tf.mul(q, tf.sum(tf.mul(dq, q), 1, true))), norm)];
}

/** Chains backward closures recorded in forward order. */
export function chain(backs: Backward[]): Backward {
  return (dy) => {
    let d: Tensor | null = dy;
    for (let i = backs.length - 1; i >= 0; i--) {
      if (d === null) return null;
      d = backs[i](d);
    }
    return d;
  };
}
