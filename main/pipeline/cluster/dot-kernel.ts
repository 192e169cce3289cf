// Dot products of data rows with a small set of centre vectors: the inner loop of k-means and of the
// k scan. A WebAssembly SIMD kernel (f32x4, four accumulators) where the runtime has it, about 3-4x the
// plain JS loop; the JS loop otherwise, and for dims that are not a multiple of 4.
//
// The wasm module is assembled below from its instructions (no build step, no binary in the repo).
// Its one function, in the text format:
//   (func $dots (param $x i32) (param $n i32) (param $c i32) (param $k i32) (param $dim i32) (param $out i32)
//     for i < n: for j < k: out[i*k + j] = sum_d x[i*dim + d] * c[j*dim + d]    (byte offsets, f32))
// accumulating 16 floats per step in four f32x4 registers, then 4 at a time, then a horizontal add.

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

  constructor(private readonly data: Float32Array, readonly n: number, readonly dim: number, maxCenters: number) {
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

  constructor(module: WebAssembly.Module, data: Float32Array, readonly n: number, readonly dim: number, maxCenters: number) {
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
    const bytes = assembleDotsModule();
    cachedModule = WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null;
  } catch {
    cachedModule = null;
  }
  return cachedModule;
}

// ---- assembling the module ----

function uleb(value: number): number[] {
  const out: number[] = [];
  let v = value >>> 0;
  do {
    let byte = v & 0x7f;
    v >>>= 7;
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
  return out;
}

function sleb(value: number): number[] {
  const out: number[] = [];
  let v = value | 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    const done = (v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

const utf8 = (s: string) => [...uleb(s.length), ...Array.from(s, (ch) => ch.charCodeAt(0))];
const section = (id: number, body: number[]) => [id, ...uleb(body.length), ...body];

// Instructions used by the kernel.
const get = (l: number) => [0x20, ...uleb(l)];
const set = (l: number) => [0x21, ...uleb(l)];
const i32 = (v: number) => [0x41, ...sleb(v)];
const I32_ADD = [0x6a];
const I32_MUL = [0x6c];
const I32_SHL = [0x74];
const I32_GE_U = [0x4f];
const I32_GT_U = [0x4b];
const BLOCK = [0x02, 0x40];
const LOOP = [0x03, 0x40];
const END = [0x0b];
const br = (depth: number) => [0x0c, depth];
const brIf = (depth: number) => [0x0d, depth];
const v128Load = (offset: number) => [0xfd, ...uleb(0x00), 0x02, ...uleb(offset)]; // align hint 4 bytes
const V128_ZERO = [0xfd, ...uleb(0x0c), ...new Array<number>(16).fill(0)];
const F32X4_ADD = [0xfd, ...uleb(0xe4)];
const F32X4_MUL = [0xfd, ...uleb(0xe6)];
const f32x4Lane = (lane: number) => [0xfd, ...uleb(0x1f), lane];
const F32_ADD = [0x92];
const F32_STORE = [0x38, 0x02, 0x00];

function assembleDotsModule(): Uint8Array<ArrayBuffer> {
  // Params 0..5: x, n, c, k, dim, out. Locals: i32 i, j, xp, cp, d, dimBytes, op; v128 acc0..acc3.
  const [X, N, C, K, DIM, OUT, I, J, XP, CP, D, DIMB, OP] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
  const ACC = [13, 14, 15, 16];
  const accumulate = (acc: number, offset: number) => [
    ...get(acc),
    ...get(XP), ...get(D), ...I32_ADD, ...v128Load(offset),
    ...get(CP), ...get(D), ...I32_ADD, ...v128Load(offset),
    ...F32X4_MUL, ...F32X4_ADD, ...set(acc),
  ];
  const body = [
    ...get(DIM), ...i32(2), ...I32_SHL, ...set(DIMB),
    ...get(OUT), ...set(OP),
    ...i32(0), ...set(I),
    ...BLOCK, ...LOOP,
    ...get(I), ...get(N), ...I32_GE_U, ...brIf(1),
    ...get(X), ...get(I), ...get(DIMB), ...I32_MUL, ...I32_ADD, ...set(XP),
    ...i32(0), ...set(J),
    ...get(C), ...set(CP),
    ...BLOCK, ...LOOP,
    ...get(J), ...get(K), ...I32_GE_U, ...brIf(1),
    ...ACC.flatMap((a) => [...V128_ZERO, ...set(a)]),
    ...i32(0), ...set(D),
    // 16 floats a step into four independent accumulators.
    ...BLOCK, ...LOOP,
    ...get(D), ...i32(64), ...I32_ADD, ...get(DIMB), ...I32_GT_U, ...brIf(1),
    ...accumulate(ACC[0], 0), ...accumulate(ACC[1], 16), ...accumulate(ACC[2], 32), ...accumulate(ACC[3], 48),
    ...get(D), ...i32(64), ...I32_ADD, ...set(D),
    ...br(0), ...END, ...END,
    // Then 4 floats a step.
    ...BLOCK, ...LOOP,
    ...get(D), ...i32(16), ...I32_ADD, ...get(DIMB), ...I32_GT_U, ...brIf(1),
    ...accumulate(ACC[0], 0),
    ...get(D), ...i32(16), ...I32_ADD, ...set(D),
    ...br(0), ...END, ...END,
    ...get(ACC[0]), ...get(ACC[1]), ...F32X4_ADD, ...get(ACC[2]), ...get(ACC[3]), ...F32X4_ADD, ...F32X4_ADD, ...set(ACC[0]),
    ...get(OP),
    ...get(ACC[0]), ...f32x4Lane(0), ...get(ACC[0]), ...f32x4Lane(1), ...F32_ADD,
    ...get(ACC[0]), ...f32x4Lane(2), ...get(ACC[0]), ...f32x4Lane(3), ...F32_ADD, ...F32_ADD,
    ...F32_STORE,
    ...get(OP), ...i32(4), ...I32_ADD, ...set(OP),
    ...get(CP), ...get(DIMB), ...I32_ADD, ...set(CP),
    ...get(J), ...i32(1), ...I32_ADD, ...set(J),
    ...br(0), ...END, ...END,
    ...get(I), ...i32(1), ...I32_ADD, ...set(I),
    ...br(0), ...END, ...END,
    ...END,
  ];
  const locals = [...uleb(2), ...uleb(7), 0x7f, ...uleb(4), 0x7b];
  const func = [...locals, ...body];
  const I32T = 0x7f;
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [...uleb(1), 0x60, ...uleb(6), I32T, I32T, I32T, I32T, I32T, I32T, ...uleb(0)]),
    ...section(2, [...uleb(1), ...utf8('env'), ...utf8('memory'), 0x02, 0x00, ...uleb(1)]),
    ...section(3, [...uleb(1), ...uleb(0)]),
    ...section(7, [...uleb(1), ...utf8('dots'), 0x00, ...uleb(0)]),
    ...section(10, [...uleb(1), ...uleb(func.length), ...func]),
  ];
  return new Uint8Array(bytes);
}
