// MoCo v2: a query encoder trained by SGD, a key encoder that follows it as a moving average, a
// queue of past keys as negatives, and the InfoNCE loss with a temperature.
import { tf } from '../tf-backend.ts';
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
  private constructor(
    readonly config: PretrainConfig,
    readonly qParams: TensorMap,
    readonly qBuffers: TensorMap,
    readonly kParams: TensorMap,
    readonly kBuffers: TensorMap,
    readonly velocity: TensorMap,
    readonly queue: KeyQueue,
  ) {}

  static create(config: PretrainConfig, rng: Rng): MocoTrainer {
    const spec = config.encoder;
    const qParams = initTensors(parameterShapes(spec, config.projDim), rng);
    const qBuffers = initTensors(bufferShapes(spec), rng);
    const kParams = cloneMap(qParams);
    const kBuffers = cloneMap(qBuffers);
    const velocity = new Map([...qParams].map(([n, t]) => [n, tf.zerosLike(t)]));
    const queue = KeyQueue.random(config.queueSize, config.projDim, rng);
    return new MocoTrainer(config, qParams, qBuffers, kParams, kBuffers, velocity, queue);
  }

  static restore(config: PretrainConfig, state: TrainerState): MocoTrainer {
    const byName = new Map(state.arrays.map((a) => [a.name, a]));
    const take = (prefix: string, shapes: Array<{ name: string; shape: number[] }>): TensorMap => {
      const m: TensorMap = new Map();
      for (const s of shapes) {
        const a = byName.get(`${prefix}${s.name}`);
        if (!a) throw new Error(`checkpoint lacks ${prefix}${s.name}`);
        if (a.shape.join('x') !== s.shape.join('x')) throw new Error(`checkpoint ${prefix}${s.name} has shape ${a.shape.join('x')}, the model needs ${s.shape.join('x')}`);
        m.set(s.name, tf.tensor(a.data, a.shape));
      }
      return m;
    };
    const spec = config.encoder;
    const pShapes = parameterShapes(spec, config.projDim);
    const bShapes = bufferShapes(spec);
    const queue = byName.get('queue');
    if (!queue) throw new Error('checkpoint lacks the key queue');
    return new MocoTrainer(
      config,
      take('q.', pShapes),
      take('q.', bShapes),
      take('k.', pShapes),
      take('k.', bShapes),
      take('v.', pShapes),
      KeyQueue.restore(queue.data, config.queueSize, config.projDim, state.queuePtr),
    );
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
    const qUpdates: TensorMap = new Map();
    const kUpdates: TensorMap = new Map();
    const grads: TensorMap = new Map();
    const out = tf.tidy(() => {
      const xq = tf.tensor4d(query, shape);
      const xk = tf.tensor4d(key, shape);
      const qctx: LayerContext = { params: this.qParams, buffers: this.qBuffers, grads, bn: { kind: 'batch', splits: c.bnSplits, momentum: BN_MOMENTUM, updates: qUpdates } };
      const [feats, encBack] = encoderForward(c.encoder, qctx, xq);
      const [q, headBack] = headForward(qctx, feats);

      const kctx: LayerContext = { params: this.kParams, buffers: this.kBuffers, grads: null, bn: { kind: 'batch', splits: c.bnSplits, momentum: BN_MOMENTUM, updates: kUpdates } };
      const [kFeats] = encoderForward(c.encoder, kctx, xk);
      const [kShuffled] = headForward(kctx, kFeats);
      const k = tf.gather(kShuffled, tf.tensor1d(unshuffle, 'int32')) as tf.Tensor2D;

      // logits = [q.k, q.queue] / T; loss = mean(logsumexp(logits) - logits[:, 0]).
      const t = c.temperature;
      const lPos = tf.sum(tf.mul(q, k), 1, true);
      const lNeg = tf.matMul(q, this.queue.keys, false, true);
      const logits = tf.div(tf.concat([lPos, lNeg], 1), t);
      const lse = tf.logSumExp(logits, 1, true);
      const loss = tf.mean(tf.sub(lse, tf.div(lPos, t)));
      // d loss / d logits = (softmax - onehot(0)) / B, and logits = products / T.
      const scale = 1 / (b * t);
      const dPos = tf.mul(tf.sub(tf.exp(tf.sub(tf.div(lPos, t), lse)), 1), scale);
      const dNeg = tf.mul(tf.exp(tf.sub(tf.div(lNeg, t), lse)), scale);
      const dq = tf.add(tf.mul(dPos, k), tf.matMul(dNeg, this.queue.keys));
      encBack(headBack(dq)!);
      for (const g of grads.values()) tf.keep(g);
      for (const u of [...qUpdates.values(), ...kUpdates.values()]) tf.keep(u);
      return { loss, k };
    });
    const lossValue = out.loss.dataSync()[0];
    this.sgdUpdate(grads, lr);
    replaceAll(this.qBuffers, qUpdates);
    replaceAll(this.kBuffers, kUpdates);
    this.queue.enqueue(out.k);
    tf.dispose([out.loss, out.k, ...grads.values()]);
    if (!Number.isFinite(lossValue)) throw new Error(`the loss became ${lossValue}; lower the learning rate (--lr)`);
    return lossValue;
  }

  /** Key encoder <- m * key + (1 - m) * query, for the learnable parameters. */
  private momentumUpdate(): void {
    const m = this.config.keyMomentum;
    for (const [name, q] of this.qParams) {
      const k = this.kParams.get(name)!;
      this.kParams.set(name, tf.tidy(() => tf.add(tf.mul(k, m), tf.mul(q, 1 - m))));
      k.dispose();
    }
  }

  /** SGD with momentum and weight decay, as torch.optim.SGD: v = mu v + (g + wd w); w -= lr v. */
  private sgdUpdate(grads: TensorMap, lr: number): void {
    const { sgdMomentum: mu, weightDecay: wd } = this.config;
    for (const [name, w] of this.qParams) {
      const g = grads.get(name);
      if (!g) throw new Error(`no gradient for ${name}`);
      const v = this.velocity.get(name)!;
      const [nv, nw] = tf.tidy(() => {
        const nv = tf.add(tf.mul(v, mu), tf.add(g, tf.mul(w, wd)));
        return [nv, tf.sub(w, tf.mul(nv, lr))];
      });
      this.velocity.set(name, nv);
      this.qParams.set(name, nw);
      tf.dispose([v, w]);
    }
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
    await add('v.', this.velocity);
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
    for (const m of [this.qParams, this.qBuffers, this.kParams, this.kBuffers, this.velocity]) {
      tf.dispose([...m.values()]);
      m.clear();
    }
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
