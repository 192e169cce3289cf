// H independent MLP heads (input -> hidden ReLU -> k logits) trained side by side on TensorFlow.js.
// SPICE-Self trains ten of them at once, SPICE-Semi one. The first layers of all heads are one fused
// [inputDim, heads*hidden] matrix and the second layers one product per head, so a step is one large
// matrix product instead of H small ones (much faster on the single-threaded wasm backend).
// The losses live in the caller, in plain JavaScript: trainStep() hands the logits to a callback that
// returns dLoss/dlogits; tf.variableGrads carries that back through the layers (tfjs-core's gradient
// definitions, registered by tf-gradients.ts) and tf.train.adam takes the step.
import { tf } from './tf-backend.ts';
import './tf-gradients.ts';
import { registerWasmTrainingKernels } from './tf-kernels/index.ts';
import { sliceHead, type MlpHeadsSpec, type MlpHeadsWeights } from './mlp-infer.ts';

export { predictWithWeights, sliceHead, type MlpHeadsSpec, type MlpHeadsWeights } from './mlp-infer.ts';

/** Adam as in PyTorch and tf.train.adam: epsilon is added to the bias-corrected sqrt(v). */
export interface AdamSettings {
  lr: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

/** Maps the logits of one step (heads x n x k, row-major) to dLoss/dlogits in the same layout. */
export type LossGradient = (logits: Float32Array) => Float32Array;

type Param = 'w1' | 'b1' | 'w2' | 'b2';
const PARAMS: readonly Param[] = ['w1', 'b1', 'w2', 'b2'];

export class MlpHeads {
  readonly spec: MlpHeadsSpec;
  private readonly vars: Record<Param, tf.Variable>;
  private ema: Record<Param, tf.Variable> | null = null;
  private optimizer: { settings: Required<AdamSettings>; adam: tf.AdamOptimizer } | null = null;
  private disposed = false;

  /** Initialised like PyTorch's nn.Linear: U(-1/sqrt(fan_in), 1/sqrt(fan_in)), from `random` (seeded by the caller). */
  static create(spec: MlpHeadsSpec, random: () => number): MlpHeads {
    checkSpec(spec);
    const { inputDim: d, hidden: h, k, heads: H } = spec;
    const uniform = (count: number, fanIn: number) => {
      const a = new Float32Array(count);
      const bound = 1 / Math.sqrt(fanIn);
      for (let i = 0; i < count; i++) a[i] = (random() * 2 - 1) * bound;
      return a;
    };
    return new MlpHeads({ spec, w1: uniform(d * H * h, d), b1: uniform(H * h, d), w2: uniform(H * h * k, h), b2: uniform(H * k, h) });
  }

  constructor(weights: MlpHeadsWeights) {
    checkSpec(weights.spec);
    this.spec = { ...weights.spec };
    const { inputDim: d, hidden: h, k, heads: H } = this.spec;
    const shapes: Record<Param, number[]> = { w1: [d, H * h], b1: [H * h], w2: [H, h, k], b2: [H, 1, k] };
    this.vars = tf.tidy(() => Object.fromEntries(PARAMS.map((p) => [p, tf.variable(tf.tensor(weights[p], shapes[p]), true)]))) as Record<Param, tf.Variable>;
  }

  /**
   * One training step on n rows of x (n x inputDim): `lossGradient` gets the logits of every head and
   * returns dLoss/dlogits; all heads then take one Adam step. The Adam settings must stay the same
   * over the heads' life (the optimizer keeps its moments and step count).
   */
  trainStep(x: Float32Array, n: number, lossGradient: LossGradient, adam: AdamSettings): void {
    this.check(x, n);
    const { inputDim: d, heads: H, k } = this.spec;
    const optimizer = this.adamFor(adam);
    const vars = PARAMS.map((p) => this.vars[p]);
    tf.tidy(() => {
      const xt = tf.tensor2d(x.subarray(0, n * d), [n, d]);
      const { grads } = tf.variableGrads(() => {
        const logits = this.logits(xt, this.vars);
        const dLogits = lossGradient(logits.dataSync() as Float32Array);
        if (dLogits.length !== H * n * k) throw new Error(`dLogits has ${dLogits.length} values, expected ${H} x ${n} x ${k}`);
        // A scalar whose gradient with respect to the logits is dLogits.
        return tf.sum(tf.mul(logits, tf.tensor3d(dLogits, [H, n, k]))) as tf.Scalar;
      }, vars);
      optimizer.applyGradients(vars.map((v) => ({ name: v.name, tensor: grads[v.name] })));
    });
  }

  /** Starts (or restarts) an exponential moving average of the weights, as FixMatch evaluates with. */
  startEma(): void {
    if (this.ema) for (const p of PARAMS) this.ema[p].dispose();
    this.ema = tf.tidy(() => Object.fromEntries(PARAMS.map((p) => [p, tf.variable(this.vars[p].clone(), false)]))) as Record<Param, tf.Variable>;
  }

  updateEma(decay: number): void {
    if (!this.ema) throw new Error('startEma() first');
    const ema = this.ema;
    tf.tidy(() => {
      for (const p of PARAMS) ema[p].assign(tf.add(tf.mul(ema[p], decay), tf.mul(this.vars[p], 1 - decay)));
    });
  }

  /** Softmax probabilities, heads x n x k, computed in chunks; `useEma` reads the averaged weights. */
  predict(x: Float32Array, n: number, options: { useEma?: boolean; chunk?: number } = {}): Float32Array {
    this.check(x, n);
    const { inputDim: d, heads: H, k } = this.spec;
    const w = options.useEma ? this.ema : this.vars;
    if (!w) throw new Error('no EMA weights: startEma() first');
    const chunk = options.chunk ?? 4096;
    const out = new Float32Array(H * n * k);
    for (let start = 0; start < n; start += chunk) {
      const rows = Math.min(chunk, n - start);
      const probsT = tf.tidy(() => {
        const xt = tf.tensor2d(x.subarray(start * d, (start + rows) * d), [rows, d]);
        return tf.softmax(this.logits(xt, w));
      });
      const probs = probsT.dataSync() as Float32Array;
      probsT.dispose();
      for (let hd = 0; hd < H; hd++) out.set(probs.subarray(hd * rows * k, (hd + 1) * rows * k), (hd * n + start) * k);
    }
    return out;
  }

  /** A copy of the weights (of every head, or of one), from the live or the averaged set. */
  weights(options: { head?: number; useEma?: boolean } = {}): MlpHeadsWeights {
    const w = options.useEma ? this.ema : this.vars;
    if (!w) throw new Error('no EMA weights: startEma() first');
    const all = {
      spec: { ...this.spec },
      w1: Float32Array.from(w.w1.dataSync()),
      b1: Float32Array.from(w.b1.dataSync()),
      w2: Float32Array.from(w.w2.dataSync()),
      b2: Float32Array.from(w.b2.dataSync()),
    };
    return options.head === undefined ? all : sliceHead(all, options.head);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const set of [this.vars, this.ema]) if (set) PARAMS.forEach((p) => set[p].dispose());
    this.optimizer?.adam.dispose();
  }

  private adamFor(settings: AdamSettings): tf.AdamOptimizer {
    const s: Required<AdamSettings> = { lr: settings.lr, beta1: settings.beta1 ?? 0.9, beta2: settings.beta2 ?? 0.999, epsilon: settings.epsilon ?? 1e-8 };
    if (!this.optimizer) {
      if (tf.getBackend() === 'wasm') registerWasmTrainingKernels();
      // The epsilon is explicit: tf.train.adam's default is the backend's (1e-7 on cpu and wasm).
      this.optimizer = { settings: s, adam: tf.train.adam(s.lr, s.beta1, s.beta2, s.epsilon) };
    } else if ((Object.keys(s) as Array<keyof AdamSettings>).some((key) => s[key] !== this.optimizer!.settings[key])) {
      throw new Error('MLP heads: the Adam settings changed between steps');
    }
    return this.optimizer.adam;
  }

  /** Logits of every head, H x n x k. */
  private logits(x: tf.Tensor2D, w: Record<Param, tf.Variable>): tf.Tensor3D {
    const act = tf.fused.matMul({ a: x, b: w.w1, bias: w.b1, activation: 'relu' }) as tf.Tensor2D;
    return this.secondLayer(act, w);
  }

  // The second layer is one small 2-D product per head: the wasm backend runs 2-D products through
  // XNNPACK but batched (3-D) ones through a plain loop, 5-10x slower at these shapes (measured:
  // 10 heads x 1000 rows x 256 -> 10, 42 ms batched vs ~1 ms per head). The heads' inputs and weights
  // are taken apart with split/unstack, whose gradients are one concat/stack, rather than with slices,
  // whose gradients are one zero-padded full-width tensor per head.

  /** Logits of every head, H x n x k, from the hidden activations (n x H*h). */
  private secondLayer(act: tf.Tensor2D, w: Record<Param, tf.Variable>): tf.Tensor3D {
    const { heads: H, hidden: h, k } = this.spec;
    // One head: reshapes (tfjs-core's Unpack gradient fails on a single output).
    const acts = H > 1 ? (tf.split(act, H, 1) as tf.Tensor2D[]) : [act];
    const w2 = H > 1 ? (tf.unstack(w.w2) as tf.Tensor2D[]) : [tf.reshape(w.w2, [h, k]) as tf.Tensor2D];
    const b2 = H > 1 ? (tf.unstack(w.b2) as tf.Tensor2D[]) : [tf.reshape(w.b2, [1, k]) as tf.Tensor2D];
    return tf.stack(acts.map((a, hd) => tf.add(tf.matMul(a, w2[hd]), b2[hd]))) as tf.Tensor3D;
  }

  private check(x: Float32Array, n: number): void {
    if (this.disposed) throw new Error('MlpHeads used after dispose()');
    if (x.length < n * this.spec.inputDim) throw new Error(`input has ${x.length} values, expected ${n} x ${this.spec.inputDim}`);
  }
}

function checkSpec(spec: MlpHeadsSpec): void {
  for (const key of ['inputDim', 'hidden', 'k', 'heads'] as const) {
    if (!Number.isInteger(spec[key]) || spec[key] < 1) throw new Error(`MLP heads: ${key} must be a positive integer, got ${spec[key]}`);
  }
}
