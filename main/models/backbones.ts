// Backbones of a project: which weights, how their input is prepared, and at which size they run.
import { existsSync, realpathSync, statSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import type { Project } from '../project/project.ts';
import type { Db } from '../db/connection.ts';
import { countEmbeddings, deleteEmbeddings } from '../db/embeddings-repo.ts';
import { openOnnxModel, type TensorInfo } from '../ml/onnx.ts';
import type { DownloadProgress } from './download.ts';
import { chooseInputSize, medianImageSide, validateInputSize, type SizeFacts } from './input-size.ts';
import { fileSha256Cached, findRegistryEntry, loadRegistry, locateRegistryWeights, type ChannelOrder, type Layout, type RegistryEntry, type Triple } from './registry.ts';
import { readSidecar } from './sidecar.ts';

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

/** Used when a model file has no JSON beside it and none is given. */
export const IMAGENET_MEAN: Triple = [0.485, 0.456, 0.406];
export const IMAGENET_STD: Triple = [0.229, 0.224, 0.225];

export interface ResolveOptions {
  /** Input size in pixels; default chosen from the model and the project's images. */
  size?: number;
  /** Override the preprocessing of a model file. */
  mean?: Triple;
  std?: Triple;
  /** Name to store a model file under (default its file name without .onnx). */
  name?: string;
  /**
   * When the backbone already has vectors made with other settings (size, mean/std): delete them and
   * use the new settings. Without it such a change is an error, so sizes never mix.
   */
  replace?: boolean;
  onProgress?: (p: DownloadProgress) => void;
  signal?: AbortSignal;
  log?: (message: string, level?: 'info' | 'warn') => void;
}

interface Candidate {
  name: string;
  source: Exclude<BackboneSource, 'project'>;
  location: string;
  sha256: string;
  channelOrder: ChannelOrder;
  layout?: Layout;
  mean: Triple;
  std: Triple;
  inputName?: string;
  outputName?: string;
  license: string | null;
  facts: Omit<SizeFacts, 'fixedSize'>;
}

/**
 * Finds or adds the backbone `spec` names in the project: a registry name, a path to an .onnx file, or
 * project:<name> (a backbone trained in this project). A model is checked when added: one 4-D float
 * input with 3 channels, a 2-D output, and a trial run at the chosen size.
 */
export async function resolveBackbone(project: Project, spec: string, options: ResolveOptions = {}): Promise<BackboneRecord> {
  const db = project.db;
  if (spec.startsWith('project:')) return resolveProjectBackbone(db, spec.slice('project:'.length), options);
  const candidate = looksLikePath(spec) ? await fileCandidate(spec, options) : await registryCandidate(spec, options);
  const existing = getBackboneByName(db, candidate.name);
  if (existing) return updateExisting(project, existing, candidate, options);

  const model = await inspectModel(candidate.location, candidate);
  const size = chooseInputSize({ ...candidate.facts, fixedSize: model.fixedSize }, medianImageSide(db), options.size);
  const outputDim = await trialRun(candidate.location, model, candidate.layout ?? model.layout, size.size);
  options.log?.(`backbone ${candidate.name}: ${outputDim}-d features at ${size.size} px (${size.why})`);
  // Insert or get: another process (a second embed of the same project) may have added it meanwhile.
  const inserted = db
    .prepare(
      `INSERT INTO backbones (name, source, location, sha256, input_size, channel_order, layout, mean, std, input_name, output_name, output_dim, license, added_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(name) DO NOTHING`,
    )
    .run(
      candidate.name,
      candidate.source,
      candidate.location,
      candidate.sha256,
      size.size,
      candidate.channelOrder,
      candidate.layout ?? model.layout,
      JSON.stringify(candidate.mean),
      JSON.stringify(candidate.std),
      model.inputName,
      model.outputName,
      outputDim,
      candidate.license,
      Date.now(),
    );
  if (inserted.changes === 0) return updateExisting(project, getBackboneByName(db, candidate.name)!, candidate, options);
  return getBackboneById(db, Number(inserted.lastInsertRowid))!;
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
 * The weights of a stored backbone, checked: a registry model whose file moved (another machine, a
 * cleared cache) is found or downloaded again; a model file whose bytes changed is refused, because its
 * vectors would no longer match the stored ones.
 */
export async function ensureBackboneWeights(project: Project, backbone: BackboneRecord, options: Pick<ResolveOptions, 'onProgress' | 'signal' | 'log'> = {}): Promise<string> {
  if (backbone.source === 'project') return backbone.location;
  if (existsSync(backbone.location) && statSync(backbone.location).isFile()) {
    const digest = await fileSha256Cached(backbone.location);
    if (backbone.sha256 === null || digest === backbone.sha256) return backbone.location;
    if (backbone.source === 'file') {
      throw new Error(
        `the weights of backbone '${backbone.name}' at ${backbone.location} changed since they were added (sha256 ${digest}, was ${backbone.sha256}); ` +
          `add the new file under another name (--name) or restore the old one`,
      );
    }
  } else if (backbone.source === 'file') {
    throw new Error(`the weights of backbone '${backbone.name}' are gone from ${backbone.location}; put the file back or add it again from its new place`);
  }
  const entry = findRegistryEntry(backbone.name);
  if (!entry) throw new Error(`backbone '${backbone.name}' is no longer in the model registry and its weights at ${backbone.location} are missing or changed`);
  if (entry.sha256 !== backbone.sha256) throw new Error(`the registry's '${backbone.name}' now has other weights (sha256 ${entry.sha256}) than this project's (${backbone.sha256})`);
  const location = await locateRegistryWeights(entry, options);
  project.db.prepare('UPDATE backbones SET location = ? WHERE id = ?').run(location, backbone.id);
  return location;
}

// ---------------------------------------------------------------------------------------------

function resolveProjectBackbone(db: Db, name: string, options: ResolveOptions): BackboneRecord {
  // The pretrain job stores its backbone under the full spec 'project:<name>'.
  const row = [getBackboneByName(db, `project:${name}`), getBackboneByName(db, name)].find((b) => b?.source === 'project');
  if (!row) {
    const have = listBackbones(db).filter((b) => b.source === 'project').map((b) => b.name);
    throw new Error(`this project has no trained backbone named '${name}'${have.length ? ` (it has: ${have.join(', ')})` : ' (train one with `pretrain`)'}`);
  }
  if (options.size !== undefined && options.size !== row.inputSize) {
    throw new Error(`project backbone '${name}' runs at ${row.inputSize} px, the size it was trained at; --size ${options.size} is not possible`);
  }
  return row;
}

function looksLikePath(spec: string): boolean {
  return /\.onnx$/i.test(spec) || spec.includes('/') || spec.includes('\\') || existsSync(spec);
}

async function fileCandidate(spec: string, options: ResolveOptions): Promise<Candidate> {
  const abs = resolve(spec);
  if (!existsSync(abs)) throw new Error(`model file ${abs} does not exist`);
  if (!statSync(abs).isFile()) throw new Error(`model path ${abs} is not a file`);
  const location = realpathSync(abs);
  const sha256 = await fileSha256Cached(location);
  const side = readSidecar(location);
  if (side?.sha256 && side.sha256 !== sha256) {
    throw new Error(`${side.file} describes a different file (sha256 ${side.sha256}) than ${location} (sha256 ${sha256})`);
  }
  if (!side && (!options.mean || !options.std)) {
    options.log?.(`no JSON beside ${basename(location)}: using ImageNet mean/std and RGB order; pass --mean/--std if the model expects other values`, 'warn');
  }
  return {
    name: options.name ?? basename(location).replace(/\.onnx$/i, ''),
    source: 'file',
    location,
    sha256,
    channelOrder: side?.channelOrder ?? 'RGB',
    layout: side?.layout,
    mean: options.mean ?? side?.mean ?? IMAGENET_MEAN,
    std: options.std ?? side?.std ?? IMAGENET_STD,
    inputName: side?.inputName,
    outputName: side?.outputName,
    license: side?.license ?? null,
    facts: { nativeInputSize: side?.nativeInputSize ?? null, smallImageInputSize: side?.smallImageInputSize ?? null, sizeMultiple: side?.sizeMultiple ?? 1 },
  };
}

async function registryCandidate(spec: string, options: ResolveOptions): Promise<Candidate> {
  const registry = loadRegistry();
  const entry = registry.find((e) => e.name === spec);
  if (!entry) {
    throw new Error(`unknown backbone '${spec}': not in the model registry (${registry.map((e) => e.name).join(', ')}) and not a path to an .onnx file`);
  }
  const location = await locateRegistryWeights(entry, options);
  return registryToCandidate(entry, location, options);
}

function registryToCandidate(entry: RegistryEntry, location: string, options: ResolveOptions): Candidate {
  return {
    name: options.name ?? entry.name,
    source: 'registry',
    location,
    sha256: entry.sha256,
    channelOrder: entry.channelOrder,
    layout: entry.layout,
    mean: options.mean ?? entry.mean,
    std: options.std ?? entry.std,
    inputName: entry.inputName,
    outputName: entry.outputName,
    license: entry.license,
    facts: { nativeInputSize: entry.nativeInputSize, smallImageInputSize: entry.smallImageInputSize, sizeMultiple: entry.sizeMultiple },
  };
}

async function updateExisting(project: Project, existing: BackboneRecord, c: Candidate, options: ResolveOptions): Promise<BackboneRecord> {
  const db = project.db;
  if (existing.source !== c.source || existing.sha256 !== c.sha256) {
    throw new Error(
      `this project already has a backbone named '${existing.name}' with other weights (${existing.source}, sha256 ${existing.sha256}); ` +
        `add this model under another name with --name`,
    );
  }
  if (existing.location !== c.location) db.prepare('UPDATE backbones SET location = ? WHERE id = ?').run(c.location, existing.id);
  const size = options.size ?? existing.inputSize;
  const mean = options.mean ?? existing.mean;
  const std = options.std ?? existing.std;
  const changes: string[] = [];
  if (size !== existing.inputSize) changes.push(`size ${existing.inputSize} -> ${size} px`);
  if (!sameTriple(mean, existing.mean)) changes.push(`mean ${existing.mean.join(',')} -> ${mean.join(',')}`);
  if (!sameTriple(std, existing.std)) changes.push(`std ${existing.std.join(',')} -> ${std.join(',')}`);
  if (changes.length === 0) return { ...existing, location: c.location };

  const stored = countEmbeddings(db, existing.id);
  if (stored > 0 && !options.replace) {
    throw new Error(
      `backbone '${existing.name}' already has ${stored} vectors made at ${existing.inputSize} px with mean ${existing.mean.join(',')} / std ${existing.std.join(',')}; ` +
        `${changes.join(', ')} would mix incompatible vectors. Rerun with --replace to delete them and re-embed, ` +
        `or add the model a second time under another name (--name).`,
    );
  }
  let outputDim = existing.outputDim;
  if (size !== existing.inputSize) {
    const model = await inspectModel(c.location, c);
    validateInputSize({ ...c.facts, fixedSize: model.fixedSize }, size);
    outputDim = await trialRun(c.location, model, existing.layout, size);
  }
  db.transaction(() => {
    if (stored > 0) {
      deleteEmbeddings(db, existing.id);
      const runs = (db.prepare('SELECT COUNT(*) AS n FROM runs WHERE backbone_id = ?').get(existing.id) as { n: number }).n;
      options.log?.(`deleted ${stored} vectors of '${existing.name}' (${changes.join(', ')})${runs ? `; ${runs} earlier runs used them` : ''}`, 'warn');
    }
    db.prepare('UPDATE backbones SET input_size = ?, mean = ?, std = ?, output_dim = ? WHERE id = ?').run(size, JSON.stringify(mean), JSON.stringify(std), outputDim, existing.id);
  }).immediate();
  return getBackboneById(db, existing.id)!;
}

interface ModelShape {
  inputName: string;
  outputName: string;
  layout: Layout;
  fixedSize: number | null;
  /** A fixed batch dimension (some exports pin it to 1); null when dynamic. */
  fixedBatch: number | null;
  outputDim: number | null;
}

/** Checks that the model takes one image batch and returns one feature vector per image. */
async function inspectModel(path: string, c: Pick<Candidate, 'inputName' | 'outputName' | 'layout'>): Promise<ModelShape> {
  let model;
  try {
    model = await openOnnxModel(path, { provider: 'cpu', threads: 1 });
  } catch (err) {
    throw new Error(`${basename(path)} is not a model onnxruntime can load: ${(err as Error).message.replace(/^cannot open .*? provider: /, '')}`);
  }
  try {
    return checkModelShape(path, model.inputs, model.outputs, c);
  } finally {
    await model.close();
  }
}

export function checkModelShape(path: string, inputs: readonly TensorInfo[], outputs: readonly TensorInfo[], want: { inputName?: string; outputName?: string; layout?: Layout }): ModelShape {
  const name = basename(path);
  if (inputs.length !== 1 && !want.inputName) throw new Error(`${name} has ${inputs.length} inputs (${inputs.map((i) => i.name).join(', ')}); a feature extractor takes one image batch`);
  const input = want.inputName ? inputs.find((i) => i.name === want.inputName) : inputs[0];
  if (!input) throw new Error(`${name} has no input named '${want.inputName}' (inputs: ${inputs.map((i) => i.name).join(', ')})`);
  if (input.type !== 'float32') throw new Error(`${name}: input '${input.name}' is ${input.type ?? 'not a tensor'}, expected float32`);
  if (input.shape.length !== 4) throw new Error(`${name}: input '${input.name}' has shape [${input.shape.join(', ')}], expected 4-D (batch, 3, height, width)`);
  const [batch, d1, d2, d3] = input.shape;
  let layout: Layout;
  if (want.layout) layout = want.layout;
  else if (d1 === 3) layout = 'NCHW';
  else if (d3 === 3) layout = 'NHWC';
  else throw new Error(`${name}: input '${input.name}' has shape [${input.shape.join(', ')}]: no dimension of 3 colour channels at position 1 (NCHW) or 3 (NHWC)`);
  const channels = layout === 'NCHW' ? d1 : d3;
  if (channels !== 3) throw new Error(`${name}: input '${input.name}' has ${channels} channels in ${layout} layout, expected 3`);
  const [h, w] = layout === 'NCHW' ? [d2, d3] : [d1, d2];
  let fixedSize: number | null = null;
  if (typeof h === 'number' || typeof w === 'number') {
    if (h !== w) throw new Error(`${name}: input '${input.name}' takes ${h}x${w} images; only square inputs are supported`);
    fixedSize = h as number;
  }
  if (outputs.length !== 1 && !want.outputName) throw new Error(`${name} has ${outputs.length} outputs (${outputs.map((o) => o.name).join(', ')}); say which one holds the features`);
  const output = want.outputName ? outputs.find((o) => o.name === want.outputName) : outputs[0];
  if (!output) throw new Error(`${name} has no output named '${want.outputName}' (outputs: ${outputs.map((o) => o.name).join(', ')})`);
  if (output.type !== 'float32') throw new Error(`${name}: output '${output.name}' is ${output.type ?? 'not a tensor'}, expected float32`);
  if (output.shape.length !== 2) throw new Error(`${name}: output '${output.name}' has shape [${output.shape.join(', ')}], expected 2-D (batch, features)`);
  return {
    inputName: input.name,
    outputName: output.name,
    layout,
    fixedSize,
    fixedBatch: typeof batch === 'number' ? batch : null,
    outputDim: typeof output.shape[1] === 'number' ? output.shape[1] : null,
  };
}

/** Runs one blank image at `size` to prove the model accepts it; returns the feature dimension. */
async function trialRun(path: string, shape: ModelShape, layout: Layout, size: number): Promise<number> {
  const model = await openOnnxModel(path, { provider: 'cpu', threads: 1 });
  try {
    const batch = shape.fixedBatch ?? 1;
    const dims = layout === 'NCHW' ? [batch, 3, size, size] : [batch, size, size, 3];
    let out: { dims: number[] };
    try {
      out = await model.run({ name: shape.inputName, data: new Float32Array(batch * 3 * size * size), dims }, shape.outputName);
    } catch (err) {
      throw new Error(`${basename(path)} does not run at ${size}x${size}: ${(err as Error).message.split('\n')[0]}`);
    }
    if (out.dims.length !== 2 || out.dims[0] !== batch) throw new Error(`${basename(path)} returned shape [${out.dims.join(', ')}] for ${batch} image(s), expected [${batch}, features]`);
    if (shape.outputDim !== null && out.dims[1] !== shape.outputDim) throw new Error(`${basename(path)} returned ${out.dims[1]} features, its metadata says ${shape.outputDim}`);
    return out.dims[1];
  } finally {
    await model.close();
  }
}

function sameTriple(a: Triple, b: Triple): boolean {
  return a.every((v, i) => Math.abs(v - b[i]) < 1e-9);
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
