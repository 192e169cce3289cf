// The building blocks of argument validation: checks of one untrusted JSON value (integers, strings,
// class names, absolute paths, arrays, objects with exactly the given keys). Each returns the value,
// typed, or throws ApiError 'invalid-argument' naming the parameter. The check of each method's params,
// made of these: method-checks.ts.
import { isAbsolute } from 'node:path';
import { ApiError } from './services/errors.ts';

export type Check<T> = (value: unknown, path: string) => T;
export type OptionalCheck<T> = Check<T | undefined> & { readonly optional: true };
type AnyCheck = Check<unknown> | OptionalCheck<unknown>;
type Shape = Record<string, AnyCheck>;
type Infer<S extends Shape> = {
  [K in keyof S as S[K] extends { optional: true } ? never : K]: S[K] extends Check<infer T> ? T : never;
} & {
  [K in keyof S as S[K] extends { optional: true } ? K : never]?: S[K] extends Check<infer T> ? Exclude<T, undefined> : never;
};

/** The most items an array parameter holds unless its check says otherwise. */
export const MAX_IDS = 100_000;
/** The longest path or backbone spec accepted. */
export const MAX_PATH = 4096;
const MAX_CLASS_NAME = 120;

/** Throws 'invalid-argument' naming the parameter, what it should be and what it was. */
function fail(path: string, expected: string, value: unknown): never {
  throw new ApiError('invalid-argument', `${path || 'params'}: expected ${expected}, got ${describeValue(value)}`);
}

/** A value as an error message shows it: short strings quoted, long ones by length, objects by kind. */
export function describeValue(value: unknown): string {
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
export function none(): Check<undefined> {
  return (v, path) => {
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0) return undefined;
    return fail(path, 'no parameters', v);
  };
}

/** Methods whose single params object may be left out. */
export function maybe<T>(check: Check<T>): Check<T | undefined> {
  return (v, path) => (v === undefined || v === null ? undefined : check(v, path));
}
