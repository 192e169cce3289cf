// The MoCo queue of negative keys: a ring of `size` unit vectors, oldest overwritten first.
import { tf } from '../tf-backend.ts';
import type { Rng } from '../../base/random.ts';

export class KeyQueue {
  private constructor(
    public keys: tf.Tensor2D,
    public ptr: number,
  ) {}

  /** Random unit vectors, as MoCo starts. */
  static random(size: number, dim: number, rng: Rng): KeyQueue {
    const v = new Float32Array(size * dim);
    for (let i = 0; i < size; i++) {
      let norm = 0;
      for (let j = 0; j < dim; j++) {
        const x = rng.normal();
        v[i * dim + j] = x;
        norm += x * x;
      }
      norm = Math.sqrt(norm);
      for (let j = 0; j < dim; j++) v[i * dim + j] /= norm;
    }
    return new KeyQueue(tf.tensor2d(v, [size, dim]), 0);
  }

  static restore(keys: Float32Array, size: number, dim: number, ptr: number): KeyQueue {
    if (keys.length !== size * dim) throw new Error(`queue holds ${keys.length} values, expected ${size} x ${dim}`);
    return new KeyQueue(tf.tensor2d(keys, [size, dim]), ptr);
  }

  get size(): number {
    return this.keys.shape[0];
  }

  /** Replaces the oldest rows with `k` [B, dim]; the queue size is a multiple of B. */
  enqueue(k: tf.Tensor2D): void {
    const b = k.shape[0];
    const [size, dim] = this.keys.shape;
    const next = tf.tidy(() => {
      const parts: tf.Tensor2D[] = [];
      if (this.ptr > 0) parts.push(tf.slice(this.keys, [0, 0], [this.ptr, dim]));
      parts.push(k);
      if (this.ptr + b < size) parts.push(tf.slice(this.keys, [this.ptr + b, 0], [size - this.ptr - b, dim]));
      return tf.concat(parts, 0) as tf.Tensor2D;
    });
    this.keys.dispose();
    this.keys = next;
    this.ptr = (this.ptr + b) % size;
  }

  dispose(): void {
    this.keys.dispose();
  }
}
