// Class names (table `classes`): what clusters are named after and images are corrected to.
import type { Db } from '../../db/connection.ts';

/** Folder exports put unnamed clusters and outliers under this name, so no class may take it. */
export const RESERVED_CLASS_NAME = 'unassigned';
const MAX_CLASS_NAME_LENGTH = 100;

export class ClassNameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ClassNameError';
  }
}

/**
 * Trims and checks a class name. Names become folder names in an export, so path separators,
 * control characters, '.' and '..' are refused.
 */
export function normalizeClassName(raw: string): string {
  const name = raw.trim();
  if (name === '') throw new ClassNameError('a class name cannot be empty');
  if (name.length > MAX_CLASS_NAME_LENGTH) throw new ClassNameError(`class name '${name.slice(0, 20)}...' is longer than ${MAX_CLASS_NAME_LENGTH} characters`);
  if (/[/\\\u0000-\u001f\u007f]/.test(name)) throw new ClassNameError(`class name '${name}' holds a slash, backslash or control character`);
  if (name === '.' || name === '..') throw new ClassNameError(`'${name}' is not a usable class name`);
  if (name.toLowerCase() === RESERVED_CLASS_NAME) throw new ClassNameError(`'${RESERVED_CLASS_NAME}' is reserved for images without a class`);
  return name;
}

/** Creates the class if it is new; returns the normalised name. */
export function ensureClass(db: Db, raw: string): string {
  const name = normalizeClassName(raw);
  db.prepare('INSERT INTO classes (name, created_at) VALUES (?, ?) ON CONFLICT(name) DO NOTHING').run(name, Date.now());
  return name;
}

export function listClasses(db: Db): string[] {
  return (db.prepare('SELECT name FROM classes ORDER BY name').pluck().all() as string[]);
}

/** Renames a class everywhere (cluster names, corrections and few-shot labels follow by cascade). */
export function renameClass(db: Db, from: string, to: string): void {
  const target = normalizeClassName(to);
  const exists = db.prepare('SELECT 1 FROM classes WHERE name = ?').pluck();
  if (!exists.get(from)) throw new ClassNameError(`there is no class '${from}'`);
  if (from === target) return;
  if (exists.get(target)) throw new ClassNameError(`a class '${target}' already exists: map the clusters to it instead`);
  db.prepare('UPDATE classes SET name = ? WHERE name = ?').run(target, from);
}
