// The project's backbone records (table `backbones`): read, added, their weights moved, their input
// settings changed. Which backbone a spec names and whether its weights are sound: models/resolve-backbone.ts.
import type { Db } from './connection.ts';
import { insert, many, one, run, value } from './statements.ts';

export type BackboneSource = 'registry' | 'file' | 'project';
export type ChannelOrder = 'RGB' | 'BGR';
export type Layout = 'NCHW' | 'NHWC';
export type Triple = [number, number, number];

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

/** A stored backbone row: the record with mean and std still JSON text. */
type BackboneRow = Omit<BackboneRecord, 'mean' | 'std'> & { mean: string; std: string; addedAt: number };

function toRecord({ addedAt: _addedAt, ...r }: BackboneRow): BackboneRecord {
  return { ...r, mean: JSON.parse(r.mean) as Triple, std: JSON.parse(r.std) as Triple };
}

export function getBackboneByName(db: Db, name: string): BackboneRecord | undefined {
  const row = one<BackboneRow>(db, 'SELECT * FROM backbones WHERE name = ?', name);
  return row ? toRecord(row) : undefined;
}

export function getBackboneById(db: Db, id: number): BackboneRecord | undefined {
  const row = one<BackboneRow>(db, 'SELECT * FROM backbones WHERE id = ?', id);
  return row ? toRecord(row) : undefined;
}

export function listBackbones(db: Db): BackboneRecord[] {
  return many<BackboneRow>(db, 'SELECT * FROM backbones ORDER BY id').map(toRecord);
}

/** Backbone names by id (a run names its backbone by id). */
export function backboneNames(db: Db): Map<number, string> {
  return new Map(many<{ id: number; name: string }>(db, 'SELECT id, name FROM backbones').map((r) => [r.id, r.name]));
}

/** Backbones with at least one plain embedding and how many images have one, newest first. */
export function backbonesWithEmbeddings(db: Db): Array<{ id: number; name: string; embedded: number }> {
  return many(
    db,
    `SELECT b.id AS id, b.name AS name, COUNT(e.image_id) AS embedded FROM backbones b
       JOIN embeddings e ON e.backbone_id = b.id AND e.view = 'plain'
       GROUP BY b.id ORDER BY b.id DESC`,
  );
}

/** The newest backbone whose name is one of `names` or whose weights are at one of `locations`. */
export function findBackbone(db: Db, names: readonly [string, string], locations: readonly [string, string]): { id: number; name: string } | undefined {
  return one(db, 'SELECT id, name FROM backbones WHERE name = ? OR name = ? OR location = ? OR location = ? ORDER BY id DESC LIMIT 1', ...names, ...locations);
}

/**
 * What a backbone's vectors depend on, as stored (mean and std as their JSON text): its weights'
 * checksum and its preprocessing.
 */
export interface BackboneInputs {
  sha256: string | null;
  inputSize: number;
  channelOrder: string;
  layout: string;
  mean: string;
  std: string;
  inputName: string;
  outputName: string;
}

export function backboneInputs(db: Db, id: number): BackboneInputs | undefined {
  return one<BackboneInputs>(db, 'SELECT sha256, input_size, channel_order, layout, mean, std, input_name, output_name FROM backbones WHERE id = ?', id);
}

const INSERT_BACKBONE = `INSERT INTO backbones (name, source, location, sha256, input_size, channel_order, layout, mean, std, input_name, output_name, output_dim, license, added_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

function backboneValues(b: Omit<BackboneRecord, 'id'>, addedAt: number): unknown[] {
  return [
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
    addedAt,
  ];
}

/**
 * Adds a backbone unless one of that name exists (another process, a second embed of the same project,
 * may have added it meanwhile). Returns the new id, or null when the name was taken.
 */
export function insertBackbone(db: Db, b: Omit<BackboneRecord, 'id'>): number | null {
  const inserted = run(db, `${INSERT_BACKBONE} ON CONFLICT(name) DO NOTHING`, ...backboneValues(b, Date.now()));
  return inserted.changes === 0 ? null : Number(inserted.lastInsertRowid);
}

/** Adds a backbone in place of any of the same name (its runs and vectors go with the old row); returns its id. */
export function replaceBackbone(db: Db, b: Omit<BackboneRecord, 'id'>, addedAt: number): number {
  const existing = value<number>(db, 'SELECT id FROM backbones WHERE name = ?', b.name);
  if (existing !== undefined) run(db, 'DELETE FROM backbones WHERE id = ?', existing);
  return insert(db, INSERT_BACKBONE, ...backboneValues(b, addedAt));
}

/** Records where the backbone's weights are now (same bytes, new place). */
export function setBackboneLocation(db: Db, id: number, location: string): void {
  run(db, 'UPDATE backbones SET location = ? WHERE id = ?', location, id);
}

/** Records new input settings (the caller deletes the vectors made with the old ones). */
export function setBackboneInput(db: Db, id: number, input: Pick<BackboneRecord, 'inputSize' | 'mean' | 'std' | 'outputDim'>): void {
  run(
    db,
    'UPDATE backbones SET input_size = ?, mean = ?, std = ?, output_dim = ? WHERE id = ?',
    input.inputSize,
    JSON.stringify(input.mean),
    JSON.stringify(input.std),
    input.outputDim,
    id,
  );
}

/** Clustering runs made on the backbone's vectors. */
export function countBackboneRuns(db: Db, id: number): number {
  return value<number>(db, 'SELECT COUNT(*) FROM runs WHERE backbone_id = ?', id) ?? 0;
}
