// A decoder for the common case of small JPEGs: baseline Huffman, 8-bit YCbCr, one interleaved scan,
// 4:4:4 or 4:2:0. Its output is the same pixels libvips (libjpeg-turbo) gives: the same integer inverse
// DCT (the "islow" one), the same "fancy" triangle upsampling of the chroma, the same YCbCr -> RGB tables.
// libvips' set-up per decoded image (about 0.5 ms of CPU) is ten times what decoding a 32-px JPEG costs
// here (0.06 ms). Anything else (progressive, arithmetic coding, 12-bit, greyscale, CMYK or Adobe RGB,
// an ICC profile, other subsamplings, restart markers, over 4 megapixels, any damage) answers null, and
// the caller decodes the file with libvips as before, so error messages and lenient decoding stay libvips'.
import type { RgbImage } from './rgb-image.ts';

/** Natural (row-major) index of the k-th coefficient in zigzag order. */
const ZIGZAG = Uint8Array.from([
  0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23,
  30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
]);

class Unsupported extends Error {}

function unsupported(what: string): never {
  throw new Unsupported(what);
}

interface HuffmanTable {
  /** By the next 9 bits: (code length << 8) | symbol, or 0 when the code is longer. */
  fast: Uint16Array;
  /** By code length 1..16: the largest code of that length (-1: none), and its first symbol's index. */
  maxCode: Int32Array;
  offset: Int32Array;
  symbols: Uint8Array;
}

const FAST_BITS = 9;
const MAX_PIXELS = 1 << 22;

function buildHuffman(counts: Uint8Array, symbols: Uint8Array): HuffmanTable {
  const fast = new Uint16Array(1 << FAST_BITS);
  const maxCode = new Int32Array(18).fill(-1);
  const offset = new Int32Array(18);
  let code = 0;
  let k = 0;
  for (let length = 1; length <= 16; length++) {
    offset[length] = k - code;
    for (let i = 0; i < counts[length - 1]; i++, k++, code++) {
      if (length <= FAST_BITS) {
        const first = code << (FAST_BITS - length);
        fast.fill((length << 8) | symbols[k], first, first + (1 << (FAST_BITS - length)));
      }
    }
    if (counts[length - 1] > 0) maxCode[length] = code - 1;
    if (code > 1 << length) unsupported('bad Huffman table');
    code <<= 1;
  }
  return { fast, maxCode, offset, symbols };
}

/** Reads the entropy-coded data MSB first, removing the 0x00 stuffed after each 0xFF. */
class BitReader {
  private bits = 0;
  private count = 0;
  /** Bits appended past the scan's data (a marker or the end of the file): padding, never data. */
  private padding = 0;

  constructor(
    private readonly data: Uint8Array,
    public at: number,
  ) {}

  /** Tops the buffer up to at least 25 bits. */
  private fill(): void {
    const data = this.data;
    while (this.count <= 24) {
      const byte = this.at < data.length ? data[this.at] : 0xff;
      if (this.at >= data.length || (byte === 0xff && data[this.at + 1] !== 0)) {
        // Reading ahead may run into the marker that ends the scan: pad with ones (as the encoder did);
        // taking any of these bits as data is damage, caught in skip().
        this.padding += 8;
      } else {
        this.at += byte === 0xff ? 2 : 1;
      }
      this.bits = ((this.bits << 8) | byte) >>> 0;
      this.count += 8;
    }
  }

  peek(n: number): number {
    if (this.count < n) this.fill();
    return (this.bits >>> (this.count - n)) & ((1 << n) - 1);
  }

  skip(n: number): void {
    this.count -= n;
    if (this.count < this.padding) unsupported('data ends inside the scan');
  }

  take(n: number): number {
    const value = this.peek(n);
    this.skip(n);
    return value;
  }

  decode(table: HuffmanTable): number {
    const entry = table.fast[this.peek(FAST_BITS)];
    if (entry !== 0) {
      this.skip(entry >> 8);
      return entry & 0xff;
    }
    const code16 = this.peek(16);
    for (let length = FAST_BITS + 1; length <= 16; length++) {
      const code = code16 >>> (16 - length);
      if (code <= table.maxCode[length]) {
        this.skip(length);
        return table.symbols[table.offset[length] + code];
      }
    }
    unsupported('bad Huffman code');
  }

  /** At the scan's end: drop the rest of the current byte, give back whole bytes read ahead. */
  align(): void {
    const unread = (this.count - this.padding) >> 3;
    for (let i = 0; i < unread; i++) {
      this.at--;
      // A data byte 0xFF was stored as 0xFF 0x00.
      if (this.data[this.at] === 0 && this.data[this.at - 1] === 0xff) this.at--;
    }
    this.bits = 0;
    this.count = 0;
    this.padding = 0;
  }
}

/** JPEG's EXTEND: an n-bit magnitude category value as a signed number. */
function extend(value: number, n: number): number {
  return value < 1 << (n - 1) ? value - (1 << n) + 1 : value;
}

// libjpeg's islow inverse DCT (jidctint.c): constants FIX(x) = round(x * 2^13), two passes, the first
// keeping PASS1_BITS more bits. Computed in doubles, exact like the C code's 64-bit integers.
const PASS1_ROUND = 2 ** 10;
const PASS1_SCALE = 2 ** -11;
const PASS2_ROUND = 2 ** 17;
const PASS2_SCALE = 2 ** -18;

/** libjpeg's range limit of an IDCT output: (v & 1023) as a signed 10-bit value, + 128, clamped. */
function rangeLimit(v: number): number {
  let t = v & 1023;
  if (t >= 512) t -= 1024;
  t += 128;
  return t < 0 ? 0 : t > 255 ? 255 : t;
}

/** The outputs of islow8, before descaling (the caller descales per pass). */
const butterfly = new Float64Array(8);

/** One 8-point pass of the islow transform over inputs 0..7 (zigzag already undone). */
function islow8(s0: number, s1: number, s2: number, s3: number, s4: number, s5: number, s6: number, s7: number): void {
  // Even part.
  const z1e = (s2 + s6) * 4433;
  const e2 = z1e - s6 * 15137;
  const e3 = z1e + s2 * 6270;
  const e0 = (s0 + s4) * 8192;
  const e1 = (s0 - s4) * 8192;
  const t10 = e0 + e3;
  const t13 = e0 - e3;
  const t11 = e1 + e2;
  const t12 = e1 - e2;
  // Odd part: inputs 7, 5, 3, 1.
  const z1 = s7 + s1;
  const z2 = s5 + s3;
  const z3 = s7 + s3;
  const z4 = s5 + s1;
  const z5 = (z3 + z4) * 9633;
  const z1m = z1 * -7373;
  const z2m = z2 * -20995;
  const z3m = z3 * -16069 + z5;
  const z4m = z4 * -3196 + z5;
  const o0 = s7 * 2446 + z1m + z3m;
  const o1 = s5 * 16819 + z2m + z4m;
  const o2 = s3 * 25172 + z2m + z3m;
  const o3 = s1 * 12299 + z1m + z4m;
  butterfly[0] = t10 + o3;
  butterfly[7] = t10 - o3;
  butterfly[1] = t11 + o2;
  butterfly[6] = t11 - o2;
  butterfly[2] = t12 + o1;
  butterfly[5] = t12 - o1;
  butterfly[3] = t13 + o0;
  butterfly[4] = t13 - o0;
}

const workspace = new Float64Array(64);

/** The inverse DCT of one dequantised block (natural order) into 8 x 8 samples at out[at], row stride `stride`. */
function idctBlock(coef: Float64Array, out: Uint8Array, at: number, stride: number): void {
  const ws = workspace;
  for (let c = 0; c < 8; c++) {
    if (coef[8 + c] === 0 && coef[16 + c] === 0 && coef[24 + c] === 0 && coef[32 + c] === 0 && coef[40 + c] === 0 && coef[48 + c] === 0 && coef[56 + c] === 0) {
      const dc = coef[c] * 4;
      for (let r = 0; r < 64; r += 8) ws[r + c] = dc;
      continue;
    }
    islow8(coef[c], coef[8 + c], coef[16 + c], coef[24 + c], coef[32 + c], coef[40 + c], coef[48 + c], coef[56 + c]);
    for (let r = 0; r < 8; r++) ws[r * 8 + c] = Math.floor((butterfly[r] + PASS1_ROUND) * PASS1_SCALE);
  }
  for (let r = 0; r < 64; r += 8) {
    const o = at + (r >> 3) * stride;
    islow8(ws[r], ws[r + 1], ws[r + 2], ws[r + 3], ws[r + 4], ws[r + 5], ws[r + 6], ws[r + 7]);
    for (let c = 0; c < 8; c++) out[o + c] = rangeLimit(Math.floor((butterfly[c] + PASS2_ROUND) * PASS2_SCALE));
  }
}

// libjpeg's YCbCr -> RGB tables (jdcolor.c): 16-bit fixed point.
const FIX = (x: number) => Math.floor(x * 65536 + 0.5);
const CR_R = Int32Array.from({ length: 256 }, (_, i) => (FIX(1.402) * (i - 128) + 32768) >> 16);
const CB_B = Int32Array.from({ length: 256 }, (_, i) => (FIX(1.772) * (i - 128) + 32768) >> 16);
const CR_G = Int32Array.from({ length: 256 }, (_, i) => -FIX(0.71414) * (i - 128));
const CB_G = Int32Array.from({ length: 256 }, (_, i) => -FIX(0.34414) * (i - 128) + 32768);

function clamp255(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

interface Component {
  id: number;
  h: number;
  v: number;
  quant: number;
  dcTable?: HuffmanTable;
  acTable?: HuffmanTable;
  /** Samples, blocks laid out as in the MCUs; row stride `stride`. */
  plane?: Uint8Array;
  stride: number;
}

interface Frame {
  width: number;
  height: number;
  components: Component[];
}

/**
 * The RGB pixels of a baseline 8-bit YCbCr JPEG with 4:4:4 or 4:2:0 sampling and one interleaved scan,
 * identical to libvips' decode; null for any other JPEG or damaged data. EXIF orientation is not applied.
 */
export function decodeBaselineJpeg(bytes: Uint8Array): RgbImage | null {
  try {
    return decode(bytes);
  } catch (err) {
    if (err instanceof Unsupported) return null;
    throw err;
  }
}

function decode(data: Uint8Array): RgbImage {
  if (data.length < 4 || data[0] !== 0xff || data[1] !== 0xd8) unsupported('not a JPEG');
  const quant: Array<Uint16Array | undefined> = [];
  const dcTables: Array<HuffmanTable | undefined> = [];
  const acTables: Array<HuffmanTable | undefined> = [];
  let frame: Frame | null = null;
  let jfif = false;
  let at = 2;
  for (;;) {
    if (at + 4 > data.length || data[at] !== 0xff) unsupported('no marker where one belongs');
    const marker = data[at + 1];
    if (marker === 0xff) {
      at++;
      continue;
    }
    const length = (data[at + 2] << 8) | data[at + 3];
    const start = at + 4;
    const end = at + 2 + length;
    if (length < 2 || end > data.length) unsupported('segment runs past the end');
    if (marker === 0xc0 || marker === 0xc1) frame = readFrame(data, start, end);
    else if (marker === 0xc4) readHuffmanTables(data, start, end, dcTables, acTables);
    else if (marker === 0xdb) readQuantTables(data, start, end, quant);
    else if (marker === 0xdd && ((data[start] << 8) | data[start + 1]) !== 0) unsupported('restart markers');
    else if (marker === 0xe0) jfif ||= isTag(data, start, end, 'JFIF\0');
    else if (marker === 0xe2 && isTag(data, start, end, 'ICC_PROFILE\0')) unsupported('ICC profile: libvips converts it');
    else if (marker === 0xee) unsupported('Adobe colour transform');
    else if (marker === 0xda) {
      if (!frame) unsupported('scan before frame');
      if (!jfif && frame.components.map((c) => c.id).join() === '82,71,66') unsupported('RGB components');
      readScanHeader(data, start, end, frame, dcTables, acTables);
      for (const c of frame.components) if (!quant[c.quant]) unsupported('missing quantisation table');
      const after = decodeScan(data, end, frame, quant as Uint16Array[]);
      if (!atEndOfImage(data, after)) unsupported('more than one scan, or data after the scan');
      return toRgbPixels(frame);
    } else if ((marker >= 0xc2 && marker <= 0xcf) || marker === 0xd9 || marker === 0xdc || (marker >= 0xd0 && marker <= 0xd8)) {
      unsupported(`marker 0x${marker.toString(16)}`);
    }
    at = end;
  }
}

function isTag(data: Uint8Array, start: number, end: number, tag: string): boolean {
  if (end - start < tag.length) return false;
  for (let i = 0; i < tag.length; i++) if (data[start + i] !== tag.charCodeAt(i)) return false;
  return true;
}

function readFrame(data: Uint8Array, start: number, end: number): Frame {
  const precision = data[start];
  const height = (data[start + 1] << 8) | data[start + 2];
  const width = (data[start + 3] << 8) | data[start + 4];
  const count = data[start + 5];
  if (precision !== 8 || count !== 3 || width === 0 || height === 0 || end - start < 6 + 3 * count) unsupported('not an 8-bit 3-component frame');
  if (width * height > MAX_PIXELS) unsupported('large image: libvips is faster');
  const components: Component[] = [];
  for (let i = 0; i < count; i++) {
    const p = start + 6 + 3 * i;
    components.push({ id: data[p], h: data[p + 1] >> 4, v: data[p + 1] & 15, quant: data[p + 2], stride: 0 });
  }
  const [y, cb, cr] = components;
  const chromaFull = cb.h === 1 && cb.v === 1 && cr.h === 1 && cr.v === 1;
  if (!chromaFull || !((y.h === 1 && y.v === 1) || (y.h === 2 && y.v === 2))) unsupported('sampling other than 4:4:4 or 4:2:0');
  // libjpeg upsamples chroma no more than 2 samples wide by plain replication, not the triangle filter.
  if (y.h === 2 && Math.ceil(width / 2) <= 2) unsupported('too narrow for 4:2:0');
  return { width, height, components };
}

function readQuantTables(data: Uint8Array, start: number, end: number, out: Array<Uint16Array | undefined>): void {
  let p = start;
  while (p < end) {
    const precision = data[p] >> 4;
    const id = data[p] & 15;
    if (precision !== 0 || id > 3 || p + 65 > end) unsupported('16-bit or bad quantisation table');
    out[id] = Uint16Array.from(data.subarray(p + 1, p + 65));
    p += 65;
  }
}

function readHuffmanTables(data: Uint8Array, start: number, end: number, dc: Array<HuffmanTable | undefined>, ac: Array<HuffmanTable | undefined>): void {
  let p = start;
  while (p < end) {
    const kind = data[p] >> 4;
    const id = data[p] & 15;
    if (kind > 1 || id > 3 || p + 17 > end) unsupported('bad Huffman table');
    const counts = data.subarray(p + 1, p + 17);
    let total = 0;
    for (const n of counts) total += n;
    if (total > 256 || p + 17 + total > end) unsupported('bad Huffman table');
    const table = buildHuffman(counts, data.subarray(p + 17, p + 17 + total));
    (kind === 0 ? dc : ac)[id] = table;
    p += 17 + total;
  }
}

function readScanHeader(data: Uint8Array, start: number, end: number, frame: Frame, dc: Array<HuffmanTable | undefined>, ac: Array<HuffmanTable | undefined>): void {
  const count = data[start];
  if (count !== frame.components.length || end - start < 4 + 2 * count) unsupported('not one interleaved scan');
  for (let i = 0; i < count; i++) {
    const component = frame.components[i];
    if (data[start + 1 + 2 * i] !== component.id) unsupported('scan components out of frame order');
    const tables = data[start + 2 + 2 * i];
    component.dcTable = dc[tables >> 4];
    component.acTable = ac[tables & 15];
    if (!component.dcTable || !component.acTable) unsupported('missing Huffman table');
  }
  const p = start + 1 + 2 * count;
  if (data[p] !== 0 || data[p + 1] !== 63 || data[p + 2] !== 0) unsupported('not a sequential scan');
}

/** Decodes every MCU into the components' planes; returns the offset just past the scan's data. */
function decodeScan(data: Uint8Array, start: number, frame: Frame, quant: Uint16Array[]): number {
  const { components } = frame;
  const maxH = components[0].h;
  const maxV = components[0].v;
  const mcusX = Math.ceil(frame.width / (8 * maxH));
  const mcusY = Math.ceil(frame.height / (8 * maxV));
  for (const c of components) {
    c.stride = mcusX * c.h * 8;
    c.plane = new Uint8Array(c.stride * mcusY * c.v * 8);
  }
  const reader = new BitReader(data, start);
  const coef = new Float64Array(64);
  const predictions = [0, 0, 0];
  const total = mcusX * mcusY;
  for (let mcu = 0; mcu < total; mcu++) {
    const mx = mcu % mcusX;
    const my = (mcu - mx) / mcusX;
    for (let ci = 0; ci < components.length; ci++) {
      const c = components[ci];
      const q = quant[c.quant];
      for (let by = 0; by < c.v; by++) {
        for (let bx = 0; bx < c.h; bx++) {
          coef.fill(0);
          const dcBits = reader.decode(c.dcTable!);
          if (dcBits > 11) unsupported('DC difference too large');
          const dc = predictions[ci] + (dcBits === 0 ? 0 : extend(reader.take(dcBits), dcBits));
          if (dc < -32768 || dc > 32767) unsupported('DC out of range');
          predictions[ci] = dc;
          coef[0] = dc * q[0];
          for (let k = 1; k < 64;) {
            const rs = reader.decode(c.acTable!);
            const run = rs >> 4;
            const bits = rs & 15;
            if (bits === 0) {
              if (run !== 15) break;
              k += 16;
              continue;
            }
            k += run;
            if (k > 63) unsupported('coefficient past the block');
            coef[ZIGZAG[k]] = extend(reader.take(bits), bits) * q[k];
            k++;
          }
          const x = (mx * c.h + bx) * 8;
          const y = (my * c.v + by) * 8;
          idctBlock(coef, c.plane!, y * c.stride + x, c.stride);
        }
      }
    }
  }
  reader.align();
  return reader.at;
}

/** Only fill bytes and the end-of-image marker may follow the scan. */
function atEndOfImage(data: Uint8Array, at: number): boolean {
  while (at + 1 < data.length && data[at] === 0xff && data[at + 1] === 0xff) at++;
  return data[at] === 0xff && data[at + 1] === 0xd9;
}

/** Colour conversion, with libjpeg's "fancy" (triangle) upsampling of 4:2:0 chroma. */
function toRgbPixels(frame: Frame): RgbImage {
  const { width, height, components } = frame;
  const [y, cb, cr] = components;
  const out = new Uint8Array(width * height * 3);
  const subsampled = y.h === 2;
  const rowCb = subsampled ? new Uint8Array(width + 1) : null;
  const rowCr = subsampled ? new Uint8Array(width + 1) : null;
  const chromaHeight = Math.ceil(height / 2);
  const chromaWidth = Math.ceil(width / 2);
  for (let row = 0; row < height; row++) {
    const yRow = row * y.stride;
    let cbPlane = cb.plane!;
    let crPlane = cr.plane!;
    let cbAt = row * cb.stride;
    let crAt = row * cr.stride;
    if (rowCb && rowCr) {
      const r = row >> 1;
      // The upper output row of a pair blends with the chroma row above, the lower with the one below.
      const other = row & 1 ? Math.min(r + 1, chromaHeight - 1) : Math.max(r - 1, 0);
      upsampleRow(cb.plane!, r * cb.stride, other * cb.stride, chromaWidth, rowCb);
      upsampleRow(cr.plane!, r * cr.stride, other * cr.stride, chromaWidth, rowCr);
      cbPlane = rowCb;
      crPlane = rowCr;
      cbAt = 0;
      crAt = 0;
    }
    for (let x = 0, o = row * width * 3; x < width; x++, o += 3) {
      const luma = y.plane![yRow + x];
      const b = cbPlane[cbAt + x];
      const r = crPlane[crAt + x];
      out[o] = clamp255(luma + CR_R[r]);
      out[o + 1] = clamp255(luma + ((CB_G[b] + CR_G[r]) >> 16));
      out[o + 2] = clamp255(luma + CB_B[b]);
    }
  }
  return { width, height, data: out };
}

/** libjpeg's h2v2 fancy upsampling of one chroma row: 3/4 this row + 1/4 the other, then 3/4, 1/4 across. */
function upsampleRow(plane: Uint8Array, here: number, other: number, width: number, out: Uint8Array): void {
  let last = plane[here] * 3 + plane[other];
  let current = last;
  let next = plane[here + 1] * 3 + plane[other + 1];
  out[0] = (current * 4 + 8) >> 4;
  out[1] = (current * 3 + next + 7) >> 4;
  last = current;
  current = next;
  let o = 2;
  for (let col = 2; col < width; col++, o += 2) {
    next = plane[here + col] * 3 + plane[other + col];
    out[o] = (current * 3 + last + 8) >> 4;
    out[o + 1] = (current * 3 + next + 7) >> 4;
    last = current;
    current = next;
  }
  out[o] = (current * 3 + last + 8) >> 4;
  out[o + 1] = (current * 4 + 7) >> 4;
}
