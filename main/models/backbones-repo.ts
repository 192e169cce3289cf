// The project's backbone records (table `backbones`): read, added, their weights moved, their input
// settings changed. Which backbone a spec names and whether its weights are sound: resolve-backbone.ts.
import type { Db } from '../db/connection.ts';
import type { ChannelOrder, Layout, Triple } from './registry.ts';

export type BackboneSource = 'registry' | 'file' | 'project';

export interface BackboneRecord {
  id: number;
  name: string;
  source: BackboneSource;
  /** Absolute path of the weights, or project:<name>. */
  location: string;
  sha256: string | null;
  /** Square input side in pixels, chosen per project. */
  inputSize: number;
  channelOrder: ChannelOrder;
  layout: Layout;
  /** On 0..1 pixels: x = (p/255 - mean) / std. */
  mean: Triple;
  std: Triple;
  inputName: string;
  outputName: string;
  outputDim: number;
  license: string | null;
}

export function getBackboneByName(db: Db, name: string): BackboneRecord | undefined {
  const row = db.prepare('SELECT * FROM backbones WHERE name = ?').get(name) as BackboneRow | undefined;
  return row ? toRecord(row) : undefined;
}

export function getBackboneById(db: Db, id: number): BackboneRecord | undefined {
  const row = db.prepare('SELECT * FROM backbones WHERE id = ?').get(id) as BackboneRow | undefined;
  return row ? toRecord(row) : undefined;
}

export function listBackbones(db: Db): BackboneRecord[] {
  return (db.prepare('SELECT * FROM backbones ORDER BY id').all() as BackboneRow[]).map(toRecord);
}

/**
 * Adds a backbone unless one of that name exists (another process, a second embed of the same project,
 * may have added it meanwhile). Returns the new id, or null when the name was taken.
 */
export function insertBackbone(db: Db, b: Omit<BackboneRecord, 'id'>): number | null {
  const inserted = db
    .prepare(
      `INSERT INTO backbones (name, source, location, sha256, input_size, channel_order, layout, mean, std, input_name, output_name, output_dim, license, added_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(name) DO NOTHING`,
    )
    .run(
      b.name,
      b.source,
      b.location,
      b.sha256,
      b.inputSize,
      b.channelOrder,
      b.layout,
      JSON.stringify(b.mean),
      JSON.stringify(b.std),
      b.inputName,
      b.outputName,
      b.outputDim,
      b.license,
      Date.now(),
    );
  return inserted.changes === 0 ? null : Number(inserted.lastInsertRowid);
}

/** Records where the backbone's weights are now (same bytes, new place). */
export function setBackboneLocation(db: Db, id: number, location: string): void {
  db.prepare('UPDATE backbones SET location = ? WHERE id = ?').run(location, id);
}

/** Records new input settings (the caller deletes the vectors made with the old ones). */
export function setBackboneInput(db: Db, id: number, input: Pick<BackboneRecord, 'inputSize' | 'mean' | 'std' | 'outputDim'>): void {
  db.prepare('UPDATE backbones SET input_size = ?, mean = ?, std = ?, output_dim = ? WHERE id = ?').run(
    input.inputSize,
    JSON.stringify(input.mean),
    JSON.stringify(input.std),
    input.outputDim,
    id,
  );
}

/** Clustering runs made on the backbone's vectors. */
export function countBackboneRuns(db: Db, id: number): number {
  return (db.prepare('SELECT COUNT(*) AS n FROM runs WHERE backbone_id = ?').get(id) as { n: number }).n;
}

interface BackboneRow {
  id: number;
  name: string;
  source: BackboneSource;
  location: string;
  sha256: string | null;
  input_size: number;
  channel_order: ChannelOrder;
  layout: Layout;
  mean: string;
  std: string;
  input_name: string;
  output_name: string;
  output_dim: number;
  license: string | null;
}

function toRecord(r: BackboneRow): BackboneRecord {
  return {
    id: r.id,
    name: r.name,
    source: r.source,
    location: r.location,
    sha256: r.sha256,
    inputSize: r.input_size,
    channelOrder: r.channel_order,
    layout: r.layout,
    mean: JSON.parse(r.mean) as Triple,
    std: JSON.parse(r.std) as Triple,
    inputName: r.input_name,
    outputName: r.output_name,
    outputDim: r.output_dim,
    license: r.license,
  };
}
