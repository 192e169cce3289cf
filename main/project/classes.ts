// The project's class list (table `classes`): what clusters are named after and images are labelled with.
// Renaming, merging and deleting touch person labels and cluster names of every run; each of them returns
// a snapshot of every row it touched, as it was, and restoreClassSnapshot puts those rows back (undo),
// itself returning the snapshot of what it replaced (redo).
import { DEFAULT_CLASS_HOTKEYS, GRID_RESERVED_KEYS } from '../../preload/contract/hotkeys.ts';
import type { Db } from '../db/connection.ts';
import { InputError } from '../base/errors.ts';

/** Folder exports put unnamed clusters under this name, so no class may take it. */
export const RESERVED_CLASS_NAME = 'unassigned';
/** Exports name a person's outliers so (CSV class column, folder), so no class may take it either. */
export const OUTLIER_CLASS_NAME = 'outlier';
const MAX_CLASS_NAME_LENGTH = 100;

export class ClassNameError extends InputError {
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
  // eslint-disable-next-line no-control-regex
  if (/[/\\\u0000-\u001f\u007f]/.test(name)) throw new ClassNameError(`class name '${name}' holds a slash, backslash or control character`);
  if (name === '.' || name === '..') throw new ClassNameError(`'${name}' is not a usable class name`);
  for (const reserved of [RESERVED_CLASS_NAME, OUTLIER_CLASS_NAME]) {
    if (name.toLowerCase() === reserved) throw new ClassNameError(`'${reserved}' is reserved for what exports write for images without a class`);
  }
  return name;
}

/** Creates the class if it is new (with the first free default hotkey); returns the normalised name. */
export function ensureClass(db: Db, raw: string): string {
  const name = normalizeClassName(raw);
  if (!classExists(db, name)) {
    const taken = new Set(db.prepare('SELECT hotkey FROM classes WHERE hotkey IS NOT NULL').pluck().all() as string[]);
    const hotkey = DEFAULT_CLASS_HOTKEYS.find((k) => !taken.has(k)) ?? null;
    db.prepare('INSERT INTO classes (name, created_at, hotkey) VALUES (?, ?, ?)').run(name, Date.now(), hotkey);
  }
  return name;
}

export function listClasses(db: Db): string[] {
  return db.prepare('SELECT name FROM classes ORDER BY name').pluck().all() as string[];
}

export function classExists(db: Db, name: string): boolean {
  return db.prepare('SELECT 1 FROM classes WHERE name = ?').pluck().get(name) !== undefined;
}

// ---------------------------------------------------------------- snapshots (undo)

export interface ClassSnapshot {
  classes: Array<{ name: string; exists: boolean; hotkey: string | null }>;
  /** Person labels of images labelled with one of the classes (class labels only; outliers involve no class). */
  personLabels: Array<{ imageId: number; className: string; origin: 'set' | 'accepted' | 'imported' }>;
  clusterNames: Array<{ runId: number; cluster: number; className: string }>;
}

/** Every row that involves one of these class names, as it is now. */
export function snapshotClasses(db: Db, names: readonly string[]): ClassSnapshot {
  const unique = [...new Set(names)];
  const classRow = db.prepare('SELECT hotkey FROM classes WHERE name = ?');
  const labels = db.prepare('SELECT image_id AS imageId, class_name AS className, origin FROM person_labels WHERE class_name = ? ORDER BY image_id');
  const clusters = db.prepare('SELECT run_id AS runId, cluster, class_name AS className FROM cluster_names WHERE class_name = ? ORDER BY run_id, cluster');
  return {
    classes: unique.map((name) => {
      const row = classRow.get(name) as { hotkey: string | null } | undefined;
      return { name, exists: row !== undefined, hotkey: row?.hotkey ?? null };
    }),
    personLabels: unique.flatMap((name) => labels.all(name) as ClassSnapshot['personLabels']),
    clusterNames: unique.flatMap((name) => clusters.all(name) as ClassSnapshot['clusterNames']),
  };
}

/**
 * Puts the rows of a snapshot back: the classes that existed (with their hotkeys), the person labels
 * and cluster names that named them; rows that now name one of these classes but are not in the
 * snapshot are cleared (an image's label goes back to the model's, a cluster becomes unnamed); classes
 * that did not exist are deleted. Returns the snapshot of what it replaced.
 */
export function restoreClassSnapshot(db: Db, snapshot: ClassSnapshot): ClassSnapshot {
  return db
    .transaction(() => {
      const names = snapshot.classes.map((c) => c.name);
      const replaced = snapshotClasses(db, names);
      const insertClass = db.prepare('INSERT INTO classes (name, created_at, hotkey) VALUES (?, ?, NULL) ON CONFLICT(name) DO NOTHING');
      const setHotkey = db.prepare('UPDATE classes SET hotkey = ? WHERE name = ?');
      for (const c of snapshot.classes) if (c.exists) insertClass.run(normalizeClassName(c.name), Date.now());
      // Hotkeys are unique: free the involved classes' keys first, then give them back (a key another
      // class took meanwhile stays with it).
      for (const c of snapshot.classes) setHotkey.run(null, c.name);
      const holder = db.prepare('SELECT 1 FROM classes WHERE hotkey = ?').pluck();
      for (const c of snapshot.classes) if (c.exists && c.hotkey !== null && !holder.get(c.hotkey)) setHotkey.run(c.hotkey, c.name);

      const keepLabels = new Set(snapshot.personLabels.map((l) => l.imageId));
      const keepNames = new Set(snapshot.clusterNames.map((n) => `${n.runId}:${n.cluster}`));
      const dropLabel = db.prepare('DELETE FROM person_labels WHERE image_id = ?');
      const dropName = db.prepare('DELETE FROM cluster_names WHERE run_id = ? AND cluster = ?');
      for (const l of replaced.personLabels) if (!keepLabels.has(l.imageId)) dropLabel.run(l.imageId);
      for (const n of replaced.clusterNames) if (!keepNames.has(`${n.runId}:${n.cluster}`)) dropName.run(n.runId, n.cluster);

      const putLabel = db.prepare(
        `INSERT INTO person_labels (image_id, class_name, outlier, origin, updated_at) VALUES (?, ?, 0, ?, ?)
         ON CONFLICT(image_id) DO UPDATE SET class_name = excluded.class_name, outlier = 0, origin = excluded.origin, updated_at = excluded.updated_at`,
      );
      const putName = db.prepare(
        'INSERT INTO cluster_names (run_id, cluster, class_name) VALUES (?, ?, ?) ON CONFLICT(run_id, cluster) DO UPDATE SET class_name = excluded.class_name',
      );
      const imageExists = db.prepare('SELECT 1 FROM images WHERE id = ?').pluck();
      const runExists = db.prepare('SELECT 1 FROM runs WHERE id = ?').pluck();
      for (const l of snapshot.personLabels) if (imageExists.get(l.imageId)) putLabel.run(l.imageId, l.className, l.origin, Date.now());
      for (const n of snapshot.clusterNames) if (runExists.get(n.runId)) putName.run(n.runId, n.cluster, n.className);

      const dropClass = db.prepare('DELETE FROM classes WHERE name = ?');
      for (const c of snapshot.classes) if (!c.exists) dropClass.run(c.name);
      return replaced;
    })
    .immediate();
}

// ---------------------------------------------------------------- class-list changes

/** Creates a class; refuses one that exists. */
export function createClass(db: Db, raw: string): ClassSnapshot {
  const name = normalizeClassName(raw);
  return db
    .transaction(() => {
      if (classExists(db, name)) throw new ClassNameError(`a class '${name}' already exists`);
      const before = snapshotClasses(db, [name]);
      ensureClass(db, name);
      return before;
    })
    .immediate();
}

/** Renames a class everywhere (person labels and cluster names follow by cascade). */
export function renameClass(db: Db, from: string, to: string): ClassSnapshot {
  const target = normalizeClassName(to);
  return db
    .transaction(() => {
      if (!classExists(db, from)) throw new ClassNameError(`there is no class '${from}'`);
      if (from === target) return snapshotClasses(db, [from]);
      if (classExists(db, target)) throw new ClassNameError(`a class '${target}' already exists: merge into it instead`);
      const before = snapshotClasses(db, [from, target]);
      db.prepare('UPDATE classes SET name = ? WHERE name = ?').run(target, from);
      return before;
    })
    .immediate();
}

/** Moves every person label and cluster name of the `from` classes to `into` (created if new), then deletes them. */
export function mergeClasses(db: Db, from: readonly string[], into: string): ClassSnapshot {
  const target = normalizeClassName(into);
  const sources = [...new Set(from)].filter((f) => f !== target);
  if (sources.length === 0) throw new ClassNameError('merge needs at least one class other than the target');
  return db
    .transaction(() => {
      for (const f of sources) if (!classExists(db, f)) throw new ClassNameError(`there is no class '${f}'`);
      const before = snapshotClasses(db, [...sources, target]);
      ensureClass(db, target);
      const moveLabels = db.prepare('UPDATE person_labels SET class_name = ?, updated_at = ? WHERE class_name = ?');
      const moveNames = db.prepare('UPDATE cluster_names SET class_name = ? WHERE class_name = ?');
      const drop = db.prepare('DELETE FROM classes WHERE name = ?');
      const now = Date.now();
      for (const f of sources) {
        moveLabels.run(target, now, f);
        moveNames.run(target, f);
        drop.run(f);
      }
      return before;
    })
    .immediate();
}

/** Deletes a class: its person labels go (the model's label applies again), its clusters become unnamed. */
export function deleteClass(db: Db, name: string): ClassSnapshot {
  return db
    .transaction(() => {
      if (!classExists(db, name)) throw new ClassNameError(`there is no class '${name}'`);
      const before = snapshotClasses(db, [name]);
      // person_labels cascade on delete; cluster_names are set to NULL, and a NULL name is the same as none.
      db.prepare('DELETE FROM classes WHERE name = ?').run(name);
      db.prepare('DELETE FROM cluster_names WHERE class_name IS NULL').run();
      return before;
    })
    .immediate();
}

/** Assigns a single printable key to a class (null clears it); the key moves from any class that had it. */
export function setClassHotkey(db: Db, name: string, hotkey: string | null): ClassSnapshot {
  const key = hotkey === null ? null : normalizeHotkey(hotkey);
  return db
    .transaction(() => {
      if (!classExists(db, name)) throw new ClassNameError(`there is no class '${name}'`);
      const holder = key === null ? undefined : (db.prepare('SELECT name FROM classes WHERE hotkey = ?').pluck().get(key) as string | undefined);
      const before = snapshotClasses(db, holder && holder !== name ? [name, holder] : [name]);
      if (holder && holder !== name) db.prepare('UPDATE classes SET hotkey = NULL WHERE name = ?').run(holder);
      db.prepare('UPDATE classes SET hotkey = ? WHERE name = ?').run(key, name);
      return before;
    })
    .immediate();
}

function normalizeHotkey(raw: string): string {
  const key = raw.length === 1 ? raw.toLowerCase() : raw;
  // eslint-disable-next-line no-control-regex
  if ([...key].length !== 1 || /\s/.test(key) || /[\u0000-\u001f\u007f]/.test(key)) {
    throw new ClassNameError(`a hotkey is one printable character, got ${JSON.stringify(raw)}`);
  }
  if (GRID_RESERVED_KEYS.includes(key)) throw new ClassNameError(`'${key}' is one of the grid's own keys`);
  return key;
}
