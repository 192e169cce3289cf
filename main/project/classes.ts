// The project's class list (table `classes`): what clusters are named after and images are labelled with.
// Renaming, merging and deleting touch person labels and cluster names of every run; each of them returns
// a snapshot of every row it touched, as it was, and restoreClassSnapshot puts those rows back (undo),
// itself returning the snapshot of what it replaced (redo).
import { DEFAULT_CLASS_HOTKEYS, GRID_RESERVED_KEYS } from '../../preload/contract/hotkeys.ts';
import type { Db } from '../db/connection.ts';
import {
  classClusterNames,
  classNames,
  classPersonLabels,
  classWithHotkey,
  deleteClassOnly,
  deleteClassRow,
  getClassRow,
  hasClass,
  insertClass,
  insertClassIfMissing,
  moveClassInto,
  renameClassRow,
  setHotkey,
  takenHotkeys,
} from '../db/classes-repo.ts';
import { deleteClusterName, deletePersonLabel, upsertClusterName, upsertPersonLabel } from '../db/labels-repo.ts';
import { imageExists } from '../db/images-repo.ts';
import { runExists } from '../db/runs-repo.ts';
import { checkClassName } from '../../preload/contract/class-name.ts';
import { InputError } from '../base/errors.ts';

export { OUTLIER_CLASS_NAME, RESERVED_CLASS_NAME } from '../../preload/contract/class-name.ts';

export class ClassNameError extends InputError {
  constructor(message: string) {
    super(message);
    this.name = 'ClassNameError';
  }
}

/** Trims and checks a class name by the contract's one rule (preload/contract/class-name.ts). */
export function normalizeClassName(raw: string): string {
  const checked = checkClassName(raw);
  if (!checked.ok) throw new ClassNameError(checked.problem);
  return checked.name;
}

/** Creates the class if it is new (with the first free default hotkey); returns the normalised name. */
export function ensureClass(db: Db, raw: string): string {
  const name = normalizeClassName(raw);
  if (!classExists(db, name)) {
    const taken = new Set(takenHotkeys(db));
    const hotkey = DEFAULT_CLASS_HOTKEYS.find((k) => !taken.has(k)) ?? null;
    insertClass(db, name, hotkey, Date.now());
  }
  return name;
}

export function listClasses(db: Db): string[] {
  return classNames(db);
}

export function classExists(db: Db, name: string): boolean {
  return hasClass(db, name);
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
  return {
    classes: unique.map((name) => {
      const row = getClassRow(db, name);
      return { name, exists: row !== undefined, hotkey: row?.hotkey ?? null };
    }),
    personLabels: unique.flatMap((name) => classPersonLabels(db, name)),
    clusterNames: unique.flatMap((name) => classClusterNames(db, name)),
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
      for (const c of snapshot.classes) if (c.exists) insertClassIfMissing(db, normalizeClassName(c.name), Date.now());
      // Hotkeys are unique: free the involved classes' keys first, then give them back (a key another
      // class took meanwhile stays with it).
      for (const c of snapshot.classes) setHotkey(db, c.name, null);
      for (const c of snapshot.classes) if (c.exists && c.hotkey !== null && classWithHotkey(db, c.hotkey) === undefined) setHotkey(db, c.name, c.hotkey);

      const keepLabels = new Set(snapshot.personLabels.map((l) => l.imageId));
      const keepNames = new Set(snapshot.clusterNames.map((n) => `${n.runId}:${n.cluster}`));
      for (const l of replaced.personLabels) if (!keepLabels.has(l.imageId)) deletePersonLabel(db, l.imageId);
      for (const n of replaced.clusterNames) if (!keepNames.has(`${n.runId}:${n.cluster}`)) deleteClusterName(db, n.runId, n.cluster);

      for (const l of snapshot.personLabels) {
        if (imageExists(db, l.imageId)) upsertPersonLabel(db, l.imageId, { className: l.className, outlier: 0, origin: l.origin }, Date.now());
      }
      for (const n of snapshot.clusterNames) if (runExists(db, n.runId)) upsertClusterName(db, n.runId, n.cluster, n.className);

      for (const c of snapshot.classes) if (!c.exists) deleteClassOnly(db, c.name);
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
      renameClassRow(db, from, target);
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
      const now = Date.now();
      for (const f of sources) moveClassInto(db, f, target, now);
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
      deleteClassRow(db, name);
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
      const holder = key === null ? undefined : classWithHotkey(db, key);
      const before = snapshotClasses(db, holder && holder !== name ? [name, holder] : [name]);
      if (holder && holder !== name) setHotkey(db, holder, null);
      setHotkey(db, name, key);
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
