// MoCo v2: a query encoder trained by SGD with momentum (tf.train.momentum, gradients from
// tf.variableGrads), a key encoder that follows it as a moving average, a queue of past keys as
// negatives, and the InfoNCE loss with a temperature.
import { tf } from '../tf-backend.ts';
import '../tf-gradients.ts';
import type { PretrainConfig } from './config.ts';
import type { LayerContext, TensorMap } from './layers.ts';
import { KeyQueue } from './queue.ts';
import { bufferShapes, encoderForward, headForward, initTensors, parameterShapes } from './resnet.ts';
import type { Rng } from '../../base/random.ts';

const BN_MOMENTUM = 0.1;

/** Named arrays that make up a trainer's state, in a fixed order. */
export interface NamedArray {
  name: string;
  shape: number[];
  data: Float32Array;
}

export interface TrainerState {
  arrays: NamedArray[];
  queuePtr: number;
}

export class MocoTrainer {
  /** The query encoder's parameters as variables, in parameterShapes order. */
  readonly qParams: Map<string, tf.Variable>;
  private readonly sgd: tf.MomentumOptimizer;

  private constructor(
    readonly config: PretrainConfig,
    qParams: TensorMap,
    readonly qBuffers: TensorMap,
    readonly kParams: TensorMap,
    readonly kBuffers: TensorMap,
    readonly queue: KeyQueue,
  ) {
    this.qParams = new Map([...qParams].map(([name, t]) => [name, tf.variable(t, true)]));
    tf.dispose([...qParams.values()]);
    // torch.optim.SGD's momentum: v = mu v + g; w -= lr v. The learning rate is set every step.
    this.sgd = tf.train.momentum(config.lr, config.sgdMomentum);
  }

  static create(config: PretrainConfig, rng: Rng): MocoTrainer {
    const spec = config.encoder;
    const qParams = initTensors(parameterShapes(spec, config.projDim), rng);
    const qBuffers = initTensors(bufferShapes(spec), rng);
    const kParams = cloneMap(qParams);
    const kBuffers = cloneMap(qBuffers);
    const queue = KeyQueue.random(config.queueSize, config.projDim, rng);
    return new MocoTrainer(config, qParams, qBuffers, kParams, kBuffers, queue);
  }

  static async restore(config: PretrainConfig, state: TrainerState): Promise<MocoTrainer> {
    const byName = new Map(state.arrays.map((a) => [a.name, a]));
    const take = (prefix: string, shapes: Array<{ name: string; shape: number[] }>): TensorMap => {
      const m: TensorMap = new Map();
      for (const s of shapes) {
        const a = byName.get(`${prefix}${s.name}`);
        if (!a) throw new Error(`checkpoint lacks ${prefix}${s.name}`);
        if (a.shape.join('x') !== s.shape.join('x'))
          throw new Error(`checkpoint ${prefix}${s.name} has shape ${a.shape.join('x')}, the model needs ${s.shape.join('x')}`);
        m.set(s.name, tf.tensor(a.data, a.shape));
      }
      return m;
    };
    const spec = config.encoder;
    const pShapes = parameterShapes(spec, config.projDim);
    const bShapes = bufferShapes(spec);
    const queue = byName.get('queue');
    if (!queue) throw new Error('checkpoint lacks the key queue');
    const trainer = new MocoTrainer(
      config,
      take('q.', pShapes),
      take('q.', bShapes),
      take('k.', pShapes),
      take('k.', bShapes),
      KeyQueue.restore(queue.data, config.queueSize, config.projDim, state.queuePtr),
    );
    // The optimizer pairs its accumulators with the gradients by position (parameterShapes order).
    const velocity = take('v.', pShapes);
    const iterations = tf.scalar(0);
    await trainer.sgd.setWeights([
      { name: 'iter', tensor: iterations },
      ...[...trainer.qParams].map(([name, v]) => ({ name: `${v.name}/momentum`, tensor: velocity.get(name)! })),
    ]);
    tf.dispose([iterations, ...velocity.values()]);
    return trainer;
  }

  /**
   * One MoCo step. `query` and `key` are two augmented views of the same B images (NHWC, normalised);
   * `key` is in shuffled order and `unshuffle[i]` is the row of key that belongs to image i, so the
   * key encoder's batch-norm groups mix images differently from the query's (shuffle-BN).
   */
  step(query: Float32Array, key: Float32Array, unshuffle: Int32Array, lr: number): number {
    const c = this.config;
    const b = c.batchSize;
    const shape: [number, number, number, number] = [b, c.imageSize, c.imageSize, 3];
    this.momentumUpdate();
    this.sgd.setLearningRate(lr);
    const qUpdates: TensorMap = new Map();
    const kUpdates: TensorMap = new Map();
    const out = tf.tidy(() => {
      const kctx: LayerContext = { params: this.kParams, buffers: this.kBuffers, bn: { kind: 'batch', splits: c.bnSplits, momentum: BN_MOMENTUM, updates: kUpdates } };
      const kShuffled = headForward(kctx, encoderForward(c.encoder, kctx, tf.tensor4d(key, shape)));
      const k = tf.gather(kShuffled, tf.tensor1d(unshuffle, 'int32')) as tf.Tensor2D;

      const xq = tf.tensor4d(query, shape);
      const qctx: LayerContext = { params: this.qParams, buffers: this.qBuffers, bn: { kind: 'batch', splits: c.bnSplits, momentum: BN_MOMENTUM, updates: qUpdates } };
      const params = [...this.qParams.values()];
      const { value: loss, grads } = tf.variableGrads(() => {
        const q = headForward(qctx, encoderForward(c.encoder, qctx, xq));
        // logits = [q.k, q.queue] / T; loss = cross-entropy with the positive key in column 0.
        const lPos = tf.sum(tf.mul(q, k), 1, true);
        const lNeg = tf.matMul(q, this.queue.keys, false, true);
        const logProbs = tf.logSoftmax(tf.div(tf.concat([lPos, lNeg], 1), c.temperature));
        return tf.neg(tf.mean(tf.slice(logProbs, [0, 0], [b, 1]))) as tf.Scalar;
      }, params);
      // Weight decay as torch.optim.SGD adds it: to the gradient, before the momentum.
      this.sgd.applyGradients(params.map((w) => ({ name: w.name, tensor: tf.add(grads[w.name], tf.mul(w, c.weightDecay)) })));
      return { loss, k };
    });
    const lossValue = out.loss.dataSync()[0];
    replaceAll(this.qBuffers, qUpdates);
    replaceAll(this.kBuffers, kUpdates);
    this.queue.enqueue(out.k);
    tf.dispose([out.loss, out.k]);
    if (!Number.isFinite(lossValue)) throw new Error(`the loss became ${lossValue}; lower the learning rate (--lr)`);
    return lossValue;
  }

  /** Key encoder <- m * key + (1 - m) * query, for the learnable parameters. */
  private momentumUpdate(): void {
    const m = this.config.keyMomentum;
    for (const [name, q] of this.qParams) {
      const k = this.kParams.get(name)!;
      this.kParams.set(
        name,
        tf.tidy(() => tf.add(tf.mul(k, m), tf.mul(q, 1 - m))),
      );
      k.dispose();
    }
  }

  /** The optimizer's momentum buffers by parameter name (zeros before the first step). */
  private async velocity(): Promise<NamedArray[]> {
    const accumulators = (await this.sgd.getWeights()).slice(1);
    const out: NamedArray[] = [];
    let i = 0;
    for (const [name, w] of this.qParams) {
      const t = accumulators[i++]?.tensor;
      out.push({ name, shape: w.shape, data: t ? ((await t.data()) as Float32Array) : new Float32Array(w.size) });
    }
    return out;
  }

  async exportState(): Promise<TrainerState> {
    const arrays: NamedArray[] = [];
    const add = async (prefix: string, m: TensorMap) => {
      for (const [name, t] of m) arrays.push({ name: `${prefix}${name}`, shape: t.shape, data: (await t.data()) as Float32Array });
    };
    await add('q.', this.qParams);
    await add('q.', this.qBuffers);
    await add('k.', this.kParams);
    await add('k.', this.kBuffers);
    for (const v of await this.velocity()) arrays.push({ ...v, name: `v.${v.name}` });
    arrays.push({ name: 'queue', shape: this.queue.keys.shape, data: (await this.queue.keys.data()) as Float32Array });
    return { arrays, queuePtr: this.queue.ptr };
  }

  /** The query encoder without its head: what becomes the project's backbone. */
  async exportEncoder(): Promise<NamedArray[]> {
    const arrays: NamedArray[] = [];
    for (const [name, t] of [...this.qParams, ...this.qBuffers]) {
      if (name.startsWith('head.')) continue;
      arrays.push({ name, shape: t.shape, data: (await t.data()) as Float32Array });
    }
    return arrays;
  }

  dispose(): void {
    for (const m of [this.qParams, this.qBuffers, this.kParams, this.kBuffers]) {
      tf.dispose([...m.values()]);
      m.clear();
    }
    this.sgd.dispose();
    // MomentumOptimizer.dispose() skips its base class's, which holds the learning-rate scalar.
    tf.SGDOptimizer.prototype.dispose.call(this.sgd);
    this.queue.dispose();
  }
}

function cloneMap(m: TensorMap): TensorMap {
  return new Map([...m].map(([n, t]) => [n, tf.clone(t)]));
}

function replaceAll(target: TensorMap, updates: TensorMap): void {
  for (const [name, t] of updates) {
    target.get(name)?.dispose();
    target.set(name, t);
  }
}
