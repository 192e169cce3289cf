// NumPy .npy files, format version 1.0: little-endian float32, C order.
import { closeSync, openSync, writeSync } from 'node:fs';

const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]); // \x93NUMPY

/** The header of a 2-D '<f4' array, padded so the data starts at a multiple of 64 bytes. */
export function npyHeader(rows: number, cols: number): Buffer {
  const dict = `{'descr': '<f4', 'fortran_order': False, 'shape': (${rows}, ${cols}), }`;
  const unpadded = MAGIC.length + 2 + 2 + dict.length + 1; // + '\n'
  const padding = (64 - (unpadded % 64)) % 64;
  const text = `${dict}${' '.repeat(padding)}\n`;
  if (text.length > 0xffff) throw new Error('npy header too long');
  const prefix = Buffer.alloc(MAGIC.length + 4);
  MAGIC.copy(prefix, 0);
  prefix[6] = 1; // major
  prefix[7] = 0; // minor
  prefix.writeUInt16LE(text.length, 8);
  return Buffer.concat([prefix, Buffer.from(text, 'latin1')]);
}

/** Writes rows x cols float32 values (row-major) as an .npy file. */
export function writeNpyFloat32(path: string, data: Float32Array, rows: number, cols: number): void {
  if (data.length !== rows * cols) throw new Error(`npy data has ${data.length} values, expected ${rows} x ${cols}`);
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) throw new Error('writing .npy needs a little-endian machine');
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, npyHeader(rows, cols));
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    const CHUNK = 1 << 24;
    for (let o = 0; o < bytes.length; o += CHUNK) writeSync(fd, bytes.subarray(o, Math.min(bytes.length, o + CHUNK)));
  } finally {
    closeSync(fd);
  }
}
