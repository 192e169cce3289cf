// The building blocks of the params schemas (params.ts): valibot schemas for one untrusted JSON value,
// each failing with a message that says what was expected and what came ("expected an integer in
// 0..64, got -1"). The transport turns an issue into 'invalid-argument', prefixed with its path.
import * as v from 'valibot';

/** The most items an array parameter holds unless its schema says otherwise. */
export const MAX_IDS = 100_000;
/** The longest path or backbone spec accepted. */
export const MAX_PATH = 4096;

/** A value as an error message shows it: short strings quoted, long ones by length, objects by kind. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of ${value.length} item${value.length === 1 ? '' : 's'}`;
  if (typeof value === 'string') return value.length > 40 ? `a string of ${value.length} characters` : JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return typeof value;
}

/** The message of a failed check: what was expected, and the value that came instead. */
export const expected =
  (what: string) =>
  (issue: { input: unknown }): string =>
    `expected ${what}, got ${describeValue(issue.input)}`;

export interface Range {
  readonly min: number;
  readonly max: number;
}

export function int({ min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER }: Partial<Range> = {}) {
  const m = expected(`an integer in ${min}..${max}`);
  return v.pipe(v.number(m), v.safeInteger(m), v.minValue(min, m), v.maxValue(max, m));
}

export function num({ min = -Infinity, max = Infinity }: Partial<Range> = {}) {
  const m = expected(`a finite number in ${min}..${max}`);
  return v.pipe(v.number(m), v.finite(m), v.minValue(min, m), v.maxValue(max, m));
}

export function bool() {
  return v.boolean(expected('true or false'));
}

export function str({ min = 0, max = 10_000 }: Partial<Range> = {}) {
  const m = expected(`a string of ${min}..${max} characters`);
  return v.pipe(v.string(m), v.minLength(min, m), v.maxLength(max, m));
}

/**
 * Absolute on any platform: '/...', 'C:\...' or 'C:/...', '\\server\...'. Whether it exists is the
 * service's business.
 */
export function isAbsolutePath(path: string): boolean {
  return /^(\/|[a-zA-Z]:[\\/]|\\\\)/.test(path);
}

/** An absolute filesystem path the user chose. */
export function absolutePath() {
  const m = expected('an absolute folder path');
  return v.pipe(
    v.string(m),
    v.check((p) => p.length > 0 && p.length <= MAX_PATH && !p.includes('\0') && isAbsolutePath(p), m),
  );
}

export function oneOf<const T extends readonly [string, ...string[]]>(...values: T) {
  return v.picklist(values, expected(`one of ${values.map((x) => `'${x}'`).join(', ')}`));
}

/** An array of min..max items; the length is checked before any item. */
export function array<S extends v.GenericSchema>(item: S, { min = 0, max = MAX_IDS }: Partial<Range> = {}) {
  const m = expected(`an array of ${min}..${max} items`);
  return v.pipe(
    v.custom<unknown[]>((x) => Array.isArray(x) && x.length >= min && x.length <= max, m),
    v.array(item, m),
  );
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/**
 * A plain object with exactly these keys (optional ones may be missing); unknown keys are refused.
 * A missing key fails with its own schema's message ("expected an integer..., got undefined").
 */
export function object<const E extends v.ObjectEntries>(entries: E) {
  const message = (issue: v.StrictObjectIssue): string => {
    if (issue.expected === 'never') return 'unknown parameter';
    const key = issue.path?.at(-1)?.key;
    const entry = typeof key === 'string' ? entries[key] : undefined;
    return (entry && v.safeParse(entry, undefined).issues?.[0].message) || expected('a value')(issue);
  };
  return v.pipe(v.custom<Record<string, unknown>>(isPlainObject, expected('an object')), v.strictObject(entries, message));
}

/** Methods without params accept nothing, null or {}. */
export function none() {
  return v.pipe(
    v.custom<undefined>((x) => x === undefined || x === null || (isPlainObject(x) && Object.keys(x).length === 0), expected('no parameters')),
    v.transform((): undefined => undefined),
  );
}

/** Methods whose single params object may be left out (undefined or null). */
export function maybe<S extends v.GenericSchema>(schema: S) {
  return v.pipe(
    v.nullish(schema),
    v.transform((x): v.InferOutput<S> | undefined => x ?? undefined),
  );
}
