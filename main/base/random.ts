// The one seeded PRNG of the project: SplitMix32 seeding a xoshiro128**. Every stage that draws (k-means
// starts, SPICE batches, augmentations, MoCo crops, map samples) uses it, so the same seed gives the same
// result; its whole state can be saved in a checkpoint and restored, so a resumed pre-training draws the
// same crops, colours and batch orders as an uninterrupted one.

/** The seed every stage uses when none is given. */
export const DEFAULT_SEED = 0;

export type RngState = [number, number, number, number];

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seedOrState: number | RngState) {
    if (typeof seedOrState === 'number') {
      let s = seedOrState >>> 0;
      const splitmix = () => {
        s = (s + 0x9e3779b9) >>> 0;
        let z = s;
        z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
        z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
        return (z ^ (z >>> 16)) >>> 0;
      };
      this.a = splitmix();
      this.b = splitmix();
      this.c = splitmix();
      this.d = splitmix();
      if ((this.a | this.b | this.c | this.d) === 0) this.a = 1;
    } else {
      [this.a, this.b, this.c, this.d] = seedOrState.map((v) => v >>> 0) as RngState;
    }
  }

  /** The full state; `new Rng(state)` continues the same sequence. */
  state(): RngState {
    return [this.a, this.b, this.c, this.d];
  }

  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.b << 9) >>> 0;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result;
  }

  // The drawing methods are bound (arrow properties): callers pass them on as plain functions
  // (rng.next as a weight initialiser, rng.int as a sampler).

  /** Uniform in [0, 1). */
  readonly next = (): number => this.nextU32() / 4294967296;

  readonly uniform = (lo: number, hi: number): number => lo + (hi - lo) * this.next();

  /** Uniform integer in [0, n). */
  readonly int = (n: number): number => Math.floor(this.next() * n);

  /** Standard normal (Box-Muller; keeps no spare value, so state() is the whole state). */
  readonly normal = (): number => {
    let u = 0;
    while (u === 0) u = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  };

  /** A random permutation of 0..n-1 (Fisher-Yates). */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** A generator seeded with `seed` (the same seed, the same sequence). */
export function createRng(seed: number): Rng {
  return new Rng(seed);
}

/** `size` distinct indices of 0..n-1 drawn uniformly (partial Fisher-Yates), ascending. */
export function sampleIndices(n: number, size: number, rng: Rng): Int32Array {
  if (!Number.isInteger(size) || size < 0 || size > n) throw new Error(`cannot draw ${size} of ${n} indices`);
  const pool = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < size; i++) {
    const j = i + rng.int(n - i);
    const t = pool[i];
    pool[i] = pool[j];
    pool[j] = t;
  }
  return pool.slice(0, size).sort();
}
