// The one rule for a class name, wherever a name comes from: the API, a CSV or folder label import, the
// renderer's fields. A name is trimmed, then must be 1..100 characters, hold no slash, backslash or
// control character and not be '.', '..' or a name exports write themselves: names become folder
// names in a folder export.
import * as v from 'valibot';
import { expected } from './checks.ts';

/** Folder exports put unnamed clusters under this name, so no class may take it. */
export const RESERVED_CLASS_NAME = 'unassigned';
/** Exports name a person's outliers so (CSV class column, folder), so no class may take it either. */
export const OUTLIER_CLASS_NAME = 'outlier';
/** In characters (UTF-16 code units, as String.length counts). */
export const MAX_CLASS_NAME_LENGTH = 100;

/** A name as a message quotes it: at most 40 characters, control characters escaped. */
function quote(name: string): string {
  const shown = name.length > 40 ? `${name.slice(0, 40)}...` : name;
  // eslint-disable-next-line no-control-regex
  return `'${shown.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}'`;
}

/** Why this already trimmed name cannot be a class name, or null when it can. */
export function classNameProblem(name: string): string | null {
  if (name === '') return 'a class name cannot be empty';
  if (name.length > MAX_CLASS_NAME_LENGTH) return `class name ${quote(name)} is longer than ${MAX_CLASS_NAME_LENGTH} characters`;
  // eslint-disable-next-line no-control-regex
  if (/[/\\\u0000-\u001f\u007f]/.test(name)) return `class name ${quote(name)} holds a slash, backslash or control character`;
  if (name === '.' || name === '..') return `${quote(name)} is not a usable class name`;
  for (const reserved of [RESERVED_CLASS_NAME, OUTLIER_CLASS_NAME]) {
    if (name.toLowerCase() === reserved) return `'${reserved}' is reserved for what exports write for images without a class`;
  }
  return null;
}

/** A class name as a person types it; the output is the trimmed name. */
export const ClassNameSchema = v.pipe(
  v.string(expected('a class name')),
  v.trim(),
  v.check(
    (name) => classNameProblem(name) === null,
    (issue) => classNameProblem(issue.input) ?? 'not a class name',
  ),
);

/** The trimmed name, or why it is not a class name. */
export function checkClassName(raw: string): { ok: true; name: string } | { ok: false; problem: string } {
  const name = raw.trim();
  const problem = classNameProblem(name);
  return problem === null ? { ok: true, name } : { ok: false, problem };
}
