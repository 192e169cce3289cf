// H independent MLP heads (input -> hidden ReLU -> k logits) trained side by side on TensorFlow.js.
// SPICE-Self trains ten of them at once, SPICE-Semi one. The first layers of all heads are one fused
// [inputDim, heads*hidden] matrix and the second layers one batched product, so a step is two large
// matrix products instead of 2*H small ones (much faster on the single-threaded wasm backend).
// The losses live in the caller, in plain JavaScript: forward() hands back the logits, the caller turns
// them into dLoss/dlogits, backward() takes that and applies Adam. Written out rather than
// tf.variableGrads + tf.train.adam (which MoCo uses): that version was faster (77 against 107 ms a
// step of 10 heads on 1,000 rows, wasm) and passed the same gradient checks, but its SPICE runs on the
// held-out half of CIFAR-10 came out lower on two of three seeds (0.557 -> 0.527, 0.550 -> 0.511, 0.542 ->
// 0.543; docs/pretrain.md), a drop not yet explained, so the heads keep the path whose results are measured.
import { tf } from './tf-backend.ts';
import { sliceHead, type MlpHeadsSpec, type MlpHeadsWeights } from './mlp-infer.ts';

export { predictWithWeights, sliceHead, type MlpHeadsSpec, type MlpHeadsWeights } from './mlp-infer.ts';

export interface AdamSettings {
  lr: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

/** Forward state kept for one backward pass; dispose() when not training on it. */
export interface ForwardPass {
  /** heads x n x k, row-major. */
  logits: Float32Array;
  n: number;
  dispose(): void;
}

type Param = 'w1' | 'b1' | 'w2' | 'b2';
const PARAMS: readonly Param[] = ['w1', 'b1', 'w2', 'b2'];

interface Cache {
  x: tf.Tensor2D;
  /** ReLU output, n x heads*hidden (positive exactly where the pre-activation is). */
  act: tf.Tensor2D;
}

export class MlpHeads {
  readonly spec: MlpHeadsSpec;
  private readonly vars: Record<Param, tf.Variable>;
  private readonly m: Record<Param, tf.Variable>;
  private readonly v: Record<Param, tf.Variable>;
  private ema: Record<Param, tf.Variable> | null = null;
  private steps = 0;
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
    const mk = (init: (p: Param) => tf.Tensor) => Object.fromEntries(PARAMS.map((p) => [p, tf.variable(init(p), true)])) as Record<Param, tf.Variable>;
    this.vars = mk((p) => tf.tensor(weights[p], shapes[p]));
    this.m = mk((p) => tf.zeros(shapes[p]));
    this.v = mk((p) => tf.zeros(shapes[p]));
  }

  /** Logits of every head for n rows of x (n x inputDim); keep the pass for backward() or dispose it. */
  forward(x: Float32Array, n: number): ForwardPass {
    this.check(x, n);
    const cache = tf.tidy(() => {
      const xt = tf.tensor2d(x, [n, this.spec.inputDim]);
      const act = tf.fused.matMul({ a: xt, b: this.vars.w1, bias: this.vars.b1, activation: 'relu' }) as tf.Tensor2D;
      return { x: xt, act };
    });
    const logitsT = tf.tidy(() => this.secondLayer(cache.act, this.vars));
    const logits = logitsT.dataSync() as Float32Array;
    logitsT.dispose();
    let live: Cache | null = cache;
    const release = () => {
      if (!live) return;
      tf.dispose([live.x, live.act]);
      live = null;
    };
    const pass: ForwardPass & { cache: () => Cache } = {
      logits,
      n,
      dispose: release,
      cache: () => {
        if (!live) throw new Error('this forward pass was already used or disposed');
        return live;
      },
    };
    return pass;
  }

  /**
   * Backpropagates dLoss/dlogits (heads x n x k, same layout as the logits) through the pass and takes
   * one Adam step on all heads. Disposes the pass.
   */
  backward(pass: ForwardPass, dLogits: Float32Array, adam: AdamSettings): void {
    const cache = (pass as ForwardPass & { cache: () => Cache }).cache();
    const { heads: H, k } = this.spec;
    const n = pass.n;
    if (dLogits.length !== H * n * k) throw new Error(`dLogits has ${dLogits.length} values, expected ${H} x ${n} x ${k}`);
    this.steps++;
    const beta1 = adam.beta1 ?? 0.9;
    const beta2 = adam.beta2 ?? 0.999;
    const eps = adam.epsilon ?? 1e-8;
    // Bias correction folded into the step size, as in Kingma & Ba, section 2.
    const stepSize = (adam.lr * Math.sqrt(1 - beta2 ** this.steps)) / (1 - beta1 ** this.steps);
    tf.tidy(() => {
      const dz = tf.tensor3d(dLogits, [H, n, k]);
      const dzOf = (hd: number) => tf.reshape(tf.slice(dz, [hd, 0, 0], [1, n, k]), [n, k]);
      const heads = Array.from({ length: H }, (_, hd) => hd);
      // Transposes are explicit: the wasm matMul with a transpose flag is about 10x slower than a
      // transpose copy followed by a plain product (measured 6.3 s vs 0.75 s for 3000x256 by 3000x5120).
      const grads: Record<Param, tf.Tensor> = {
        w2: tf.stack(heads.map((hd) => tf.matMul(tf.transpose(this.headSlice(cache.act, hd)), dzOf(hd)))),
        b2: tf.sum(dz, 1, true),
        w1: tf.zeros([1]),
        b1: tf.zeros([1]),
      };
      const dAct = tf.concat(
        heads.map((hd) => tf.matMul(dzOf(hd), tf.transpose(this.headWeights(this.vars.w2, hd)))),
        1,
      ); // n x H*h
      const dPre = tf.mul(dAct, tf.step(cache.act, 0));
      grads.w1 = tf.matMul(tf.transpose(cache.x), dPre);
      grads.b1 = tf.sum(dPre, 0);
      for (const p of PARAMS) {
        const g = grads[p];
        const m = tf.add(tf.mul(this.m[p], beta1), tf.mul(g, 1 - beta1));
        const v = tf.add(tf.mul(this.v[p], beta2), tf.mul(tf.square(g), 1 - beta2));
        this.m[p].assign(m);
        this.v[p].assign(v);
        this.vars[p].assign(tf.sub(this.vars[p], tf.mul(tf.div(m, tf.add(tf.sqrt(v), eps)), stepSize)));
      }
    });
    pass.dispose();
  }

  /** Starts (or restarts) an exponential moving average of the weights, as FixMatch evaluates with. */
  startEma(): void {
    if (this.ema) for (const p of PARAMS) this.ema[p].dispose();
    this.ema = Object.fromEntries(PARAMS.map((p) => [p, tf.variable(this.vars[p].clone(), false)])) as Record<Param, tf.Variable>;
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
        const act = tf.fused.matMul({ a: xt, b: w.w1, bias: w.b1, activation: 'relu' }) as tf.Tensor2D;
        return tf.softmax(this.secondLayer(act, w));
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
    for (const set of [this.vars, this.m, this.v, this.ema]) if (set) PARAMS.forEach((p) => set[p].dispose());
  }

  // The second layer is one small 2-D product per head: the wasm backend runs 2-D products through
  // XNNPACK but batched (3-D) ones through a plain loop, 5-10x slower at these shapes (measured:
  // 10 heads x 1000 rows x 256 -> 10, 42 ms batched vs ~1 ms per head).

  /** Logits of every head, H x n x k, from the hidden activations (n x H*h). */
  private secondLayer(act: tf.Tensor2D, w: Record<Param, tf.Variable>): tf.Tensor3D {
    const { heads: H, k } = this.spec;
    const n = act.shape[0];
    const perHead = Array.from({ length: H }, (_, hd) =>
      tf.add(tf.matMul(this.headSlice(act, hd), this.headWeights(w.w2, hd)), tf.reshape(tf.slice(w.b2, [hd, 0, 0], [1, 1, k]), [1, k])),
    );
    return tf.reshape(tf.stack(perHead), [H, n, k]) as tf.Tensor3D;
  }

  /** Head hd's columns of the hidden activations: n x h. */
  private headSlice(act: tf.Tensor2D, hd: number): tf.Tensor2D {
    const h = this.spec.hidden;
    return tf.slice(act, [0, hd * h], [act.shape[0], h]);
  }

  /** Head hd's second-layer weights: h x k. */
  private headWeights(w2: tf.Tensor, hd: number): tf.Tensor2D {
    const { hidden: h, k } = this.spec;
    return tf.reshape(tf.slice(w2, [hd, 0, 0], [1, h, k]), [h, k]);
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
