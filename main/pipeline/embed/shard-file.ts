// The file one `embed --shard i/N` writes and `embeddings merge` reads: a JSON header saying which
// backbone, input size, preprocessing and view settings made the vectors, then fixed-size rows of
// (image SHA-256, view, vector). Images are named by content, not by id, so a shard made from any copy
// of the project merges into it. Layout:
//   "SWSHARD1" | uint32 LE header length | header JSON (UTF-8) | rows
//   row = 32-byte SHA-256 | uint16 LE view index into header.views | dim float32 LE
// A file is written under a temporary name and renamed when complete; the reader checks the size.
import { closeSync, openSync, readSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import type { ViewSpec } from '../../db/embeddings-repo.ts';
import type { BackboneRecord } from '../../db/backbones-repo.ts';
import type { Shard } from './shard.ts';

const MAGIC = Buffer.from('SWSHARD1', 'latin1');
const FORMAT = 'spice-workbench embedding shard';
const HASH_BYTES = 32;

/** What made the vectors, and the --model given to embed (registry name or file path) to register it on merge. */
export type ShardBackbone = Pick<BackboneRecord, 'name' | 'sha256' | 'inputSize' | 'channelOrder' | 'layout' | 'mean' | 'std' | 'outputDim'> & { model: string };

export interface ShardHeader {
  format: typeof FORMAT;
  version: 1;
  shard: Shard;
  backbone: ShardBackbone;
  views: ViewSpec[];
  dim: number;
  rows: number;
  createdAt: string;
}

export interface ShardRow {
  sha256: string;
  view: string;
  vector: Float32Array;
}

export class ShardFileError extends Error {
  constructor(path: string, problem: string) {
    super(`${path}: ${problem}`);
    this.name = 'ShardFileError';
  }
}

function rowBytes(dim: number): number {
  return HASH_BYTES + 2 + dim * 4;
}

/** Writes header + rows; `rows` must yield exactly header.rows rows of header.dim values. */
export function writeShardFile(path: string, header: Omit<ShardHeader, 'format' | 'version' | 'createdAt'>, rows: Iterable<ShardRow>): void {
  const full: ShardHeader = { format: FORMAT, version: 1, ...header, createdAt: new Date().toISOString() };
  const viewIndex = new Map(full.views.map((v, i) => [v.view, i]));
  const json = Buffer.from(JSON.stringify(full), 'utf8');
  const prefix = Buffer.alloc(MAGIC.length + 4);
  MAGIC.copy(prefix);
  prefix.writeUInt32LE(json.length, MAGIC.length);
  const partial = `${path}.partial`;
  const fd = openSync(partial, 'w');
  try {
    writeSync(fd, prefix);
    writeSync(fd, json);
    const size = rowBytes(full.dim);
    const perChunk = Math.max(1, Math.floor((4 << 20) / size));
    const chunk = Buffer.alloc(perChunk * size);
    let filled = 0;
    let written = 0;
    for (const row of rows) {
      const view = viewIndex.get(row.view);
      if (view === undefined) throw new Error(`row of view '${row.view}', which the header does not list`);
      if (row.vector.length !== full.dim) throw new Error(`vector of ${row.vector.length} values, expected ${full.dim}`);
      const at = filled * size;
      chunk.write(row.sha256, at, HASH_BYTES, 'hex');
      chunk.writeUInt16LE(view, at + HASH_BYTES);
      Buffer.from(row.vector.buffer, row.vector.byteOffset, row.vector.byteLength).copy(chunk, at + HASH_BYTES + 2);
      written++;
      if (++filled === perChunk) {
        writeSync(fd, chunk);
        filled = 0;
      }
    }
    if (filled > 0) writeSync(fd, chunk.subarray(0, filled * size));
    if (written !== full.rows) throw new Error(`wrote ${written} rows, the header says ${full.rows}`);
  } catch (err) {
    closeSync(fd);
    rmSync(partial, { force: true });
    throw err;
  }
  closeSync(fd);
  renameSync(partial, path);
}

export function readShardHeader(path: string): { header: ShardHeader; dataOffset: number } {
  const fd = openSync(path, 'r');
  try {
    const prefix = Buffer.alloc(MAGIC.length + 4);
    if (readSync(fd, prefix, 0, prefix.length, 0) < prefix.length || !prefix.subarray(0, MAGIC.length).equals(MAGIC)) {
      throw new ShardFileError(path, 'not an embedding shard (written by spice-workbench embed --shard)');
    }
    const length = prefix.readUInt32LE(MAGIC.length);
    const json = Buffer.alloc(length);
    if (readSync(fd, json, 0, length, prefix.length) < length) throw new ShardFileError(path, 'the header is cut short');
    let header: ShardHeader;
    try {
      header = JSON.parse(json.toString('utf8')) as ShardHeader;
    } catch {
      throw new ShardFileError(path, 'the header is not valid JSON');
    }
    if (header.format !== FORMAT || header.version !== 1) throw new ShardFileError(path, `unknown shard format ${String(header.format)} v${String(header.version)}`);
    const dataOffset = prefix.length + length;
    const expected = dataOffset + header.rows * rowBytes(header.dim);
    const actual = statSync(path).size;
    if (actual !== expected) throw new ShardFileError(path, `${actual} bytes where the header promises ${expected}: the file is incomplete or damaged`);
    return { header, dataOffset };
  } finally {
    closeSync(fd);
  }
}

/** Rows in file order, read in chunks of about 4 MB. */
export function* readShardRows(path: string): Generator<ShardRow> {
  const { header, dataOffset } = readShardHeader(path);
  const size = rowBytes(header.dim);
  const perChunk = Math.max(1, Math.floor((4 << 20) / size));
  const chunk = Buffer.alloc(perChunk * size);
  const fd = openSync(path, 'r');
  try {
    for (let row = 0; row < header.rows; row += perChunk) {
      const count = Math.min(perChunk, header.rows - row);
      readSync(fd, chunk, 0, count * size, dataOffset + row * size);
      for (let r = 0; r < count; r++) {
        const at = r * size;
        const view = header.views[chunk.readUInt16LE(at + HASH_BYTES)];
        if (!view) throw new ShardFileError(path, `row ${row + r} names a view the header does not list`);
        const vector = new Float32Array(header.dim);
        new Uint8Array(vector.buffer).set(chunk.subarray(at + HASH_BYTES + 2, at + size));
        yield { sha256: chunk.toString('hex', at, at + HASH_BYTES), view: view.view, vector };
      }
    }
  } finally {
    closeSync(fd);
  }
}
