// The ResNet's layers as forward functions of named parameters. Gradients come from tfjs-core's
// gradient definitions (main/ml/tf-gradients.ts) through tf.variableGrads; on wasm the convolution
// gradients run the kernels in main/ml/tf-kernels/.
import { tf } from '../tf-backend.ts';

export type Tensor = tf.Tensor;
export type TensorMap = Map<string, tf.Tensor>;

export const BN_EPS = 1e-5;

export type BatchNormMode =
  /** Batch statistics in `splits` groups; new running statistics put in `updates` (kept: the caller disposes them). */
  | { kind: 'batch'; splits: number; momentum: number; updates: TensorMap }
  /** Stored running statistics. */
  | { kind: 'running' };

export interface LayerContext {
  params: TensorMap;
  /** Running mean/var of every batch norm. */
  buffers: TensorMap;
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

/**
 * 'same' padding everywhere (TensorFlow's: on stride 2 the odd pixel pads the bottom/right): every
 * backend implements it natively, which explicit padding is not on all of them.
 */
export function conv2d(ctx: LayerContext, name: string, x: tf.Tensor4D, stride: number): tf.Tensor4D {
  return tf.conv2d(x, param(ctx, `${name}.w`) as tf.Tensor4D, stride, 'same');
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
 * (one device standing in for several, as shuffle-BN needs) and records the new running statistics
 * in ctx.bn.updates. Its gradient is the closed form (customGrad) rather than tfjs-core's gradients
 * of the dozen ops of the forward pass: those reduce over a middle axis, which the wasm backend does
 * by transposing, and twice as many kernel calls made a ResNet-18 MoCo step ~20% slower.
 */
export function batchNorm(ctx: LayerContext, name: string, x: tf.Tensor4D): tf.Tensor4D {
  const gamma = param(ctx, `${name}.gamma`);
  const beta = param(ctx, `${name}.beta`);
  if (ctx.bn.kind === 'running') return tf.batchNorm(x, buffer(ctx, `${name}.mean`), buffer(ctx, `${name}.var`), beta, gamma, BN_EPS) as tf.Tensor4D;
  const { splits: groups, momentum, updates } = ctx.bn;
  const [b, h, w, c] = x.shape;
  const m = (b / groups) * h * w;
  const train = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [xIn, g, bt] = args as tf.Tensor[];
    const save = args[3] as tf.GradSaveFunc;
    const xs = tf.reshape(xIn, [groups, m, c]) as tf.Tensor3D;
    const mean = tf.div(groupSum(xs), m);
    const xc = tf.sub(xs, mean) as tf.Tensor3D;
    const variance = tf.div(groupSum(tf.square(xc) as tf.Tensor3D), m);
    const rstd = tf.rsqrt(tf.add(variance, BN_EPS));
    const y = tf.reshape(tf.add(tf.mul(xc, tf.mul(rstd, g)), bt), x.shape);
    const unbias = m > 1 ? m / (m - 1) : 1;
    const batchMean = tf.reshape(tf.mean(mean, 0), [c]);
    const batchVar = tf.reshape(tf.mul(tf.mean(variance, 0), unbias), [c]);
    updates.set(`${name}.mean`, tf.keep(tf.add(tf.mul(buffer(ctx, `${name}.mean`), 1 - momentum), tf.mul(batchMean, momentum))));
    updates.set(`${name}.var`, tf.keep(tf.add(tf.mul(buffer(ctx, `${name}.var`), 1 - momentum), tf.mul(batchVar, momentum))));
    save([xc, rstd, g]);
    // dx = gamma rstd (dy - S1/M - xc rstd^2 S2/M),  S1 = sum dy,  S2 = sum dy xc  (per slice and channel).
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sxc, srstd, sg] = saved;
      const dys = tf.reshape(dy, [groups, m, c]) as tf.Tensor3D;
      const s1 = groupSum(dys);
      const s2 = groupSum(tf.mul(dys, sxc) as tf.Tensor3D);
      const a = tf.mul(sg, srstd);
      const coefXc = tf.neg(tf.div(tf.mul(a, tf.mul(tf.square(srstd), s2)), m));
      const shift = tf.neg(tf.div(tf.mul(a, s1), m));
      const dx = tf.reshape(tf.add(tf.add(tf.mul(dys, a), tf.mul(sxc, coefXc)), shift), x.shape);
      return [dx, tf.reshape(tf.sum(tf.mul(s2, srstd), [0, 1]), [c]), tf.reshape(tf.sum(s1, [0, 1]), [c])];
    };
    return { value: y, gradFunc };
  });
  return train(x, gamma, beta) as tf.Tensor4D;
}

export function maxPool3x3s2(x: tf.Tensor4D): tf.Tensor4D {
  return tf.maxPool(x, 3, 2, 'same');
}

export function globalAvgPool(x: tf.Tensor4D): tf.Tensor2D {
  return tf.mean(x, [1, 2]) as tf.Tensor2D;
}

export function linear(ctx: LayerContext, name: string, x: tf.Tensor2D): tf.Tensor2D {
  return tf.add(tf.matMul(x, param(ctx, `${name}.w`) as tf.Tensor2D), param(ctx, `${name}.b`)) as tf.Tensor2D;
}

/** Rows scaled to unit length. */
export function l2Normalize(z: tf.Tensor2D): tf.Tensor2D {
  return tf.div(z, tf.add(tf.sqrt(tf.sum(tf.square(z), 1, true)), 1e-12)) as tf.Tensor2D;
}
