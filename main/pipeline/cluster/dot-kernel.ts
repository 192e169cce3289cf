// Dot products of data rows with a small set of centre vectors: the inner loop of k-means and of the
// k scan. A WebAssembly SIMD kernel (f32x4, four accumulators; source in dot-kernel.wat) where the
// runtime has it, about 3-4x the plain JS loop; the JS loop otherwise, and for dims that are not a
// multiple of 4.
import { WASM_BASE64 } from './dot-kernel-wasm.ts';

export interface DotKernel {
  readonly n: number;
  readonly dim: number;
  readonly engine: 'wasm-simd' | 'js';
  /** Room for `maxCenters` rows of dim floats; write centres here before asking for dots. */
  readonly centers: Float32Array;
  /** Dots of one data row with the first k centres; the returned array is reused by the next call. */
  rowDots(row: number, k: number): Float32Array;
  /** Dots of every data row with the first k centres, n x k; reused by the next call. */
  allDots(k: number): Float32Array;
  /** One data row with one centre. */
  dot(row: number, center: number): number;
}

export function createDotKernel(data: Float32Array, n: number, dim: number, maxCenters: number, options: { engine?: 'wasm-simd' | 'js' } = {}): DotKernel {
  const wanted = options.engine ?? (process.env.SPICE_DOT_ENGINE as 'wasm-simd' | 'js' | undefined);
  if (wanted !== 'js' && dim % 4 === 0) {
    const module = simdModule();
    if (module) return new WasmDotKernel(module, data, n, dim, maxCenters);
    if (wanted === 'wasm-simd') throw new Error('WebAssembly SIMD is not available in this runtime');
  }
  return new JsDotKernel(data, n, dim, maxCenters);
}

class JsDotKernel implements DotKernel {
  readonly engine = 'js' as const;
  readonly centers: Float32Array;
  private readonly row: Float32Array;
  private all: Float32Array;

  constructor(
    private readonly data: Float32Array,
    readonly n: number,
    readonly dim: number,
    maxCenters: number,
  ) {
    this.centers = new Float32Array(maxCenters * dim);
    this.row = new Float32Array(maxCenters);
    this.all = new Float32Array(0);
  }

  rowDots(row: number, k: number): Float32Array {
    dotsJs(this.data, row * this.dim, this.centers, k, this.dim, this.row, 0);
    return this.row;
  }

  allDots(k: number): Float32Array {
    if (this.all.length < this.n * k) this.all = new Float32Array(this.n * k);
    for (let i = 0; i < this.n; i++) dotsJs(this.data, i * this.dim, this.centers, k, this.dim, this.all, i * k);
    return this.all.subarray(0, this.n * k);
  }

  dot(row: number, center: number): number {
    const { data, centers, dim } = this;
    const a = row * dim;
    const b = center * dim;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    let d = 0;
    for (; d + 4 <= dim; d += 4) {
      s0 += data[a + d] * centers[b + d];
      s1 += data[a + d + 1] * centers[b + d + 1];
      s2 += data[a + d + 2] * centers[b + d + 2];
      s3 += data[a + d + 3] * centers[b + d + 3];
    }
    for (; d < dim; d++) s0 += data[a + d] * centers[b + d];
    return s0 + s1 + s2 + s3;
  }
}

/** Four centres per pass over the row, so each row value is loaded once per four products. */
function dotsJs(data: Float32Array, o: number, centers: Float32Array, k: number, dim: number, out: Float32Array, outOffset: number): void {
  let j = 0;
  for (; j + 4 <= k; j += 4) {
    const c0 = j * dim;
    const c1 = c0 + dim;
    const c2 = c1 + dim;
    const c3 = c2 + dim;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (let d = 0; d < dim; d++) {
      const x = data[o + d];
      s0 += x * centers[c0 + d];
      s1 += x * centers[c1 + d];
      s2 += x * centers[c2 + d];
      s3 += x * centers[c3 + d];
    }
    out[outOffset + j] = s0;
    out[outOffset + j + 1] = s1;
    out[outOffset + j + 2] = s2;
    out[outOffset + j + 3] = s3;
  }
  for (; j < k; j++) {
    const c = j * dim;
    let s = 0;
    for (let d = 0; d < dim; d++) s += data[o + d] * centers[c + d];
    out[outOffset + j] = s;
  }
}

type DotsFn = (x: number, n: number, c: number, k: number, dim: number, out: number) => void;

class WasmDotKernel implements DotKernel {
  readonly engine = 'wasm-simd' as const;
  readonly centers: Float32Array;
  private readonly fn: DotsFn;
  private readonly rowOut: Float32Array;
  private readonly allOut: Float32Array;
  private readonly dataOffset = 0;
  private readonly centersOffset: number;
  private readonly rowOffset: number;
  private readonly allOffset: number;

  constructor(
    module: WebAssembly.Module,
    data: Float32Array,
    readonly n: number,
    readonly dim: number,
    maxCenters: number,
  ) {
    const floats = n * dim + maxCenters * dim + maxCenters + n * maxCenters;
    const bytes = floats * 4;
    if (bytes > 2 ** 31) throw new Error(`${n} x ${dim} embeddings are too large for the WebAssembly kernel`);
    const memory = new WebAssembly.Memory({ initial: Math.ceil(bytes / 65536) + 1 });
    const instance = new WebAssembly.Instance(module, { env: { memory } });
    this.fn = instance.exports.dots as DotsFn;
    this.centersOffset = n * dim * 4;
    this.rowOffset = this.centersOffset + maxCenters * dim * 4;
    this.allOffset = this.rowOffset + maxCenters * 4;
    new Float32Array(memory.buffer, this.dataOffset, n * dim).set(data.subarray(0, n * dim));
    this.centers = new Float32Array(memory.buffer, this.centersOffset, maxCenters * dim);
    this.rowOut = new Float32Array(memory.buffer, this.rowOffset, maxCenters);
    this.allOut = new Float32Array(memory.buffer, this.allOffset, n * maxCenters);
  }

  rowDots(row: number, k: number): Float32Array {
    this.fn(this.dataOffset + row * this.dim * 4, 1, this.centersOffset, k, this.dim, this.rowOffset);
    return this.rowOut;
  }

  allDots(k: number): Float32Array {
    this.fn(this.dataOffset, this.n, this.centersOffset, k, this.dim, this.allOffset);
    return this.allOut.subarray(0, this.n * k);
  }

  dot(row: number, center: number): number {
    this.fn(this.dataOffset + row * this.dim * 4, 1, this.centersOffset + center * this.dim * 4, 1, this.dim, this.rowOffset);
    return this.rowOut[0];
  }
}

let cachedModule: WebAssembly.Module | null | undefined;

/** The compiled kernel, or null when this runtime has no WebAssembly SIMD. */
function simdModule(): WebAssembly.Module | null {
  if (cachedModule !== undefined) return cachedModule;
  try {
    const bytes = Buffer.from(WASM_BASE64, 'base64');
    cachedModule = WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null;
  } catch {
    cachedModule = null;
  }
  return cachedModule;
}
