// Named float32 arrays (a network's parameters and buffers) packed into one blob and a layout, as the
// project database stores checkpoints and finished encoders.
import type { NamedArray } from './moco.ts';

export type PackedLayout = Array<{ name: string; shape: number[] }>;

export function packArrays(arrays: NamedArray[]): { layout: PackedLayout; data: Buffer } {
  const total = arrays.reduce((s, a) => s + a.data.length, 0);
  const all = new Float32Array(total);
  let o = 0;
  for (const a of arrays) {
    all.set(a.data, o);
    o += a.data.length;
  }
  return { layout: arrays.map((a) => ({ name: a.name, shape: a.shape })), data: Buffer.from(all.buffer, all.byteOffset, all.byteLength) };
}

export function unpackArrays(layout: PackedLayout, blob: Buffer): NamedArray[] {
  // Copy: a blob from SQLite need not be 4-byte aligned.
  const all = new Float32Array(new Uint8Array(blob).buffer);
  const out: NamedArray[] = [];
  let o = 0;
  for (const { name, shape } of layout) {
    const n = shape.reduce((a, b) => a * b, 1);
    if (o + n > all.length) throw new Error(`stored tensors are truncated at ${name}`);
    out.push({ name, shape, data: all.subarray(o, o + n) });
    o += n;
  }
  if (o !== all.length) throw new Error(`stored tensors hold ${all.length - o} values more than their layout`);
  return out;
}
