// Argument validation for every method of the contract. Whatever a transport receives is untrusted
// JSON: each method has one check that either returns typed params or throws 'invalid-argument'.
// The map below is typed against the contract, so a method without a check is a compile error.
import { isAbsolute } from 'node:path';
import type { MethodName, ParamsOf } from '../../preload/contract/api.ts';
import { ApiError } from './services/errors.ts';

export type Check<T> = (value: unknown, path: string) => T;
type OptionalCheck<T> = Check<T | undefined> & { readonly optional: true };
type AnyCheck = Check<unknown> | OptionalCheck<unknown>;
type Shape = Record<string, AnyCheck>;
type Infer<S extends Shape> = {
  [K in keyof S as S[K] extends { optional: true } ? never : K]: S[K] extends Check<infer T> ? T : never;
} & {
  [K in keyof S as S[K] extends { optional: true } ? K : never]?: S[K] extends Check<infer T> ? Exclude<T, undefined> : never;
};

const MAX_IDS = 100_000;
const MAX_PATH = 4096;
const MAX_CLASS_NAME = 120;

function fail(path: string, expected: string, value: unknown): never {
  throw new ApiError('invalid-argument', `${path || 'params'}: expected ${expected}, got ${describe(value)}`);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return value.length > 40 ? `a string of ${value.length} characters` : JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return typeof value;
}

export function int(opts: { min?: number; max?: number } = {}): Check<number> {
  const min = opts.min ?? Number.MIN_SAFE_INTEGER;
  const max = opts.max ?? Number.MAX_SAFE_INTEGER;
  return (v, path) => {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) fail(path, `an integer in ${min}..${max}`, v);
    return v;
  };
}

export function num(opts: { min?: number; max?: number } = {}): Check<number> {
  const min = opts.min ?? -Infinity;
  const max = opts.max ?? Infinity;
  return (v, path) => {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) fail(path, `a finite number in ${min}..${max}`, v);
    return v;
  };
}

export function bool(): Check<boolean> {
  return (v, path) => (typeof v === 'boolean' ? v : fail(path, 'true or false', v));
}

export function str(opts: { min?: number; max?: number } = {}): Check<string> {
  const min = opts.min ?? 0;
  const max = opts.max ?? 10_000;
  return (v, path) => {
    if (typeof v !== 'string' || v.length < min || v.length > max) fail(path, `a string of ${min}..${max} characters`, v);
    return v;
  };
}

/** A class name as a person types it: trimmed, 1..120 characters, no control characters. */
export function className(): Check<string> {
  return (v, path) => {
    if (typeof v !== 'string') fail(path, 'a class name', v);
    const name = v.trim();
    // eslint-disable-next-line no-control-regex
    if (name.length === 0 || name.length > MAX_CLASS_NAME || /[\u0000-\u001f\u007f]/.test(name)) {
      fail(path, `a class name of 1..${MAX_CLASS_NAME} printable characters`, v);
    }
    return name;
  };
}

/** An absolute filesystem path the user chose (existence is checked by the service). */
export function absolutePath(): Check<string> {
  return (v, path) => {
    if (typeof v !== 'string' || v.length === 0 || v.length > MAX_PATH || v.includes('\0') || !isAbsolute(v)) {
      fail(path, 'an absolute folder path', v);
    }
    return v;
  };
}

export function oneOf<const T extends readonly string[]>(...values: T): Check<T[number]> {
  return (v, path) => {
    if (typeof v !== 'string' || !values.includes(v)) fail(path, `one of ${values.map((x) => `'${x}'`).join(', ')}`, v);
    return v as T[number];
  };
}

export function nullable<T>(check: Check<T>): Check<T | null> {
  return (v, path) => (v === null ? null : check(v, path));
}

export function optional<T>(check: Check<T>): OptionalCheck<T> {
  const c = ((v: unknown, path: string) => (v === undefined ? undefined : check(v, path))) as OptionalCheck<T>;
  return Object.assign(c, { optional: true as const });
}

export function array<T>(item: Check<T>, opts: { min?: number; max?: number } = {}): Check<T[]> {
  const min = opts.min ?? 0;
  const max = opts.max ?? MAX_IDS;
  return (v, path) => {
    if (!Array.isArray(v) || v.length < min || v.length > max) fail(path, `an array of ${min}..${max} items`, v);
    return v.map((x, i) => item(x, `${path}[${i}]`));
  };
}

/** A plain object with exactly these keys (optional ones may be missing); unknown keys are refused. */
export function object<S extends Shape>(shape: S): Check<Infer<S>> {
  return (v, path) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(path, 'an object', v);
    const input = v as Record<string, unknown>;
    for (const key of Object.keys(input)) {
      if (!Object.prototype.hasOwnProperty.call(shape, key)) {
        throw new ApiError('invalid-argument', `${path ? `${path}.` : ''}${key}: unknown parameter`);
      }
    }
    const out: Record<string, unknown> = {};
    for (const [key, check] of Object.entries(shape)) {
      const value = check(input[key], path ? `${path}.${key}` : key);
      if (value !== undefined) out[key] = value;
    }
    return out as Infer<S>;
  };
}

/** Methods without params accept nothing, null or {}. */
function none(): Check<undefined> {
  return (v, path) => {
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0) return undefined;
    return fail(path, 'no parameters', v);
  };
}

/** Methods whose single params object may be left out. */
function maybe<T>(check: Check<T>): Check<T | undefined> {
  return (v, path) => (v === undefined || v === null ? undefined : check(v, path));
}

const id = () => int({ min: 1 });
const runId = id;
const imageIds = () => array(id(), { min: 1, max: MAX_IDS });
const clusterIndex = () => int({ min: 0, max: 100_000 });
const viewCounts = () => object({ weak: int({ min: 0, max: 64 }), strong: int({ min: 0, max: 64 }), fixed: optional(int({ min: 0, max: 4 })) });
const spiceSettings = () =>
  object({
    quick: optional(bool()),
    epochs: optional(int({ min: 1, max: 10_000 })),
    heads: optional(int({ min: 1, max: 64 })),
    batchSize: optional(int({ min: 8, max: 65_536 })),
    semiEpochs: optional(int({ min: 0, max: 10_000 })),
  });
const kValue = () => int({ min: 2, max: 1000 });
const seedValue = () => int({ min: 0, max: 2 ** 31 - 1 });
const sizeValue = () => int({ min: 32, max: 1024 });
const backboneSpec = () => str({ min: 1, max: MAX_PATH });
const clusterNameEntry = () => object({ cluster: clusterIndex(), className: nullable(className()) });
const labelOrigin = () => oneOf('set', 'accepted', 'imported');
const correctionEntry = () => object({ imageId: id(), className: nullable(className()), outlier: bool(), origin: optional(labelOrigin()) });

export const validators: { [M in MethodName]: Check<ParamsOf<M>> } = {
  'app.info': none(),
  'app.chooseFolder': maybe(object({ title: optional(str({ max: 200 })), defaultPath: optional(absolutePath()) })),

  'projects.recent': none(),
  'projects.create': object({ dir: absolutePath(), imageFolder: optional(absolutePath()), labelsFromFolders: optional(bool()) }),
  'projects.open': object({ dir: absolutePath() }),
  'projects.current': none(),
  'projects.close': none(),
  'projects.importErrors': maybe(object({ offset: optional(int({ min: 0 })), limit: optional(int({ min: 1, max: 10_000 })) })),

  'pipeline.startImport': maybe(object({ folder: optional(absolutePath()), labelsFromFolders: optional(bool()) })),
  'pipeline.startEmbed': object({ backbone: backboneSpec(), size: optional(sizeValue()), views: optional(viewCounts()) }),
  'pipeline.startCluster': object({
    method: oneOf('kmeans', 'spice'),
    spice: optional(spiceSettings()),
    k: kValue(),
    seed: optional(seedValue()),
    backbone: optional(backboneSpec()),
  }),
  'pipeline.startAll': object({
    imageFolder: optional(absolutePath()),
    labelsFromFolders: optional(bool()),
    backbone: optional(backboneSpec()),
    size: optional(sizeValue()),
    views: optional(viewCounts()),
    k: kValue(),
    seed: optional(seedValue()),
    spice: optional(spiceSettings()),
  }),
  'pipeline.startRefine': maybe(object({ runId: optional(runId()), seed: optional(seedValue()) })),
  'pipeline.cancel': object({ jobId: id() }),
  'pipeline.jobs': maybe(object({ limit: optional(int({ min: 1, max: 1000 })) })),

  'backbones.list': none(),
  'backbones.available': none(),

  'runs.list': none(),
  'runs.metrics': object({ runId: runId() }),

  'clusters.overview': object({ runId: runId(), samples: optional(int({ min: 0, max: 64 })) }),
  'clusters.images': (v, path) => {
    const p = object({
      runId: runId(),
      cluster: optional(clusterIndex()),
      className: optional(className()),
      outliers: optional(bool()),
      imageIds: optional(array(id(), { min: 1, max: 10_000 })),
      hideReviewed: optional(bool()),
      sort: oneOf('confidence', 'doubt'),
      offset: int({ min: 0 }),
      limit: int({ min: 1, max: 2000 }),
    })(v, path);
    const selectors = [p.cluster !== undefined, p.className !== undefined, p.outliers === true, p.imageIds !== undefined].filter(Boolean).length;
    if (selectors !== 1) throw new ApiError('invalid-argument', 'give exactly one of cluster, className, imageIds or outliers: true');
    return p;
  },

  'image.detail': object({ imageId: id(), runId: runId(), neighbours: optional(int({ min: 0, max: 200 })) }),

  'mapping.get': object({ runId: runId() }),
  'mapping.setClusterName': object({ runId: runId(), cluster: clusterIndex(), className: nullable(className()) }),
  'mapping.setMany': object({ runId: runId(), clusters: array(clusterIndex(), { min: 1, max: 1000 }), className: nullable(className()) }),
  'mapping.propose': object({ runId: runId(), from: oneOf('few-shot', 'ground-truth') }),
  'mapping.accept': object({
    runId: runId(),
    proposal: object({
      runId: runId(),
      from: oneOf('few-shot', 'ground-truth'),
      entries: array(object({ cluster: clusterIndex(), className: nullable(className()), support: num({ min: 0, max: 1 }) }), { max: 1000 }),
      evidence: int({ min: 0 }),
    }),
  }),
  'mapping.restore': object({ runId: runId(), entries: array(clusterNameEntry(), { max: 1000 }) }),

  'corrections.move': object({ imageIds: imageIds(), className: className() }),
  'corrections.markOutlier': object({ imageIds: imageIds() }),
  'corrections.clear': object({ imageIds: imageIds() }),
  'corrections.restore': object({ entries: array(correctionEntry(), { max: MAX_IDS }) }),

  'labels.classes': maybe(object({ runId: optional(runId()) })),
  'labels.createClass': object({ name: className() }),
  'labels.renameClass': object({ from: className(), to: className() }),
  'labels.mergeClasses': object({ from: array(className(), { min: 1, max: 1000 }), into: className() }),
  'labels.deleteClass': object({ name: className() }),
  'labels.setHotkey': object({ name: className(), hotkey: nullable(str({ min: 1, max: 1 })) }),
  'labels.restoreClasses': object({
    snapshot: object({
      classes: array(object({ name: className(), exists: bool(), hotkey: nullable(str({ min: 1, max: 1 })) }), { max: 1000 }),
      personLabels: array(object({ imageId: id(), className: className(), origin: labelOrigin() }), { max: MAX_IDS }),
      clusterNames: array(object({ runId: runId(), cluster: clusterIndex(), className: className() }), { max: MAX_IDS }),
    }),
  }),
  'labels.accept': object({ runId: runId(), imageIds: imageIds() }),
  'labels.acceptRest': object({ runId: runId(), cluster: clusterIndex() }),
  'labels.import': object({ csvFile: optional(absolutePath()), folder: optional(absolutePath()) }),
  'labels.stats': object({ runId: runId() }),

  'review.queue': object({ runId: runId(), offset: int({ min: 0 }), limit: int({ min: 1, max: 2000 }), hideReviewed: optional(bool()) }),
  'review.similar': object({ runId: runId(), imageIds: imageIds(), limit: int({ min: 1, max: 2000 }), hideReviewed: optional(bool()) }),

  'export.labels': object({ runId: runId(), format: oneOf('csv', 'json') }),
  'export.folders': object({ runId: runId(), mode: oneOf('copy', 'link') }),

  'map.projection': object({ runId: runId() }),
};

export function isMethodName(name: unknown): name is MethodName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(validators, name);
}

/** Checks a method name and its params; throws ApiError ('unknown-method' or 'invalid-argument'). */
export function validateCall<M extends MethodName>(method: M, params: unknown): ParamsOf<M>;
export function validateCall(method: unknown, params: unknown): unknown;
export function validateCall(method: unknown, params: unknown): unknown {
  if (!isMethodName(method)) throw new ApiError('unknown-method', `unknown method ${typeof method === 'string' ? `'${method.slice(0, 80)}'` : describe(method)}`);
  return (validators[method] as Check<unknown>)(params, '');
}
