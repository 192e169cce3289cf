// Which backbone a spec names, added to the project when new: a registry name, a path to an .onnx file,
// or project:<name> (a backbone trained in this project); and the weights of a stored backbone, checked
// or found again. The records themselves: backbones-repo.ts; the model checks: onnx-inspect.ts.
import { existsSync, realpathSync, statSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import type { Project } from '../project/project.ts';
import type { Db } from '../db/connection.ts';
import { countEmbeddings, deleteEmbeddings } from '../db/embeddings-repo.ts';
import { countBackboneRuns, getBackboneById, getBackboneByName, insertBackbone, listBackbones, setBackboneInput, setBackboneLocation, type BackboneRecord, type BackboneSource } from '../db/backbones-repo.ts';
import type { DownloadProgress } from './download.ts';
import { chooseInputSize, medianImageSide, validateInputSize, type SizeFacts } from './input-size.ts';
import { inspectModel, trialRun } from './onnx-inspect.ts';
import { fileSha256Cached, findRegistryEntry, loadRegistry, locateRegistryWeights, type ChannelOrder, type Layout, type RegistryEntry, type Triple } from './registry.ts';
import { readSidecar } from './sidecar.ts';

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
  const id = insertBackbone(db, {
    name: candidate.name,
    source: candidate.source,
    location: candidate.location,
    sha256: candidate.sha256,
    inputSize: size.size,
    channelOrder: candidate.channelOrder,
    layout: candidate.layout ?? model.layout,
    mean: candidate.mean,
    std: candidate.std,
    inputName: model.inputName,
    outputName: model.outputName,
    outputDim,
    license: candidate.license,
  });
  if (id === null) return updateExisting(project, getBackboneByName(db, candidate.name)!, candidate, options);
  return getBackboneById(db, id)!;
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
  setBackboneLocation(project.db, backbone.id, location);
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
  if (existing.location !== c.location) setBackboneLocation(db, existing.id, c.location);
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
      const runs = countBackboneRuns(db, existing.id);
      options.log?.(`deleted ${stored} vectors of '${existing.name}' (${changes.join(', ')})${runs ? `; ${runs} earlier runs used them` : ''}`, 'warn');
    }
    setBackboneInput(db, existing.id, { inputSize: size, mean, std, outputDim });
  }).immediate();
  return getBackboneById(db, existing.id)!;
}

function sameTriple(a: Triple, b: Triple): boolean {
  return a.every((v, i) => Math.abs(v - b[i]) < 1e-9);
}
