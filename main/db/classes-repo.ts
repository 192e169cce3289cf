// The class list (table `classes`, migrations 001 and 007) and the class-wide changes that follow a
// class through person labels and cluster names. Names are checked and transactions chosen by the
// caller (main/project/classes.ts).
import type { Db } from './connection.ts';
import { many, one, run, value, values } from './statements.ts';

export type ClassLabelOrigin = 'set' | 'accepted' | 'imported';

export function classNames(db: Db): string[] {
  return values<string>(db, 'SELECT name FROM classes ORDER BY name');
}

/** Every class with its hotkey, by name. */
export function classRows(db: Db): Array<{ name: string; hotkey: string | null }> {
  return many(db, 'SELECT name, hotkey FROM classes ORDER BY name');
}

/** A class's hotkey and how many person labels give it (all, and those imported). */
export function classLabelSummary(db: Db, name: string): { hotkey: string | null; labels: number; imported: number } {
  return one<{ hotkey: string | null; labels: number; imported: number }>(
    db,
    `SELECT (SELECT hotkey FROM classes WHERE name = ?) AS hotkey,
             (SELECT COUNT(*) FROM person_labels WHERE class_name = ?) AS labels,
             (SELECT COUNT(*) FROM person_labels WHERE class_name = ? AND origin = 'imported') AS imported`,
    name,
    name,
    name,
  )!;
}

export function hasClass(db: Db, name: string): boolean {
  return value(db, 'SELECT 1 FROM classes WHERE name = ?', name) !== undefined;
}

/** The class's row (its hotkey), or undefined when there is no such class. */
export function getClassRow(db: Db, name: string): { hotkey: string | null } | undefined {
  return one(db, 'SELECT hotkey FROM classes WHERE name = ?', name);
}

export function takenHotkeys(db: Db): string[] {
  return values<string>(db, 'SELECT hotkey FROM classes WHERE hotkey IS NOT NULL');
}

/** The class that has this hotkey, if any. */
export function classWithHotkey(db: Db, hotkey: string): string | undefined {
  return value<string>(db, 'SELECT name FROM classes WHERE hotkey = ?', hotkey);
}

export function insertClass(db: Db, name: string, hotkey: string | null, now: number): void {
  run(db, 'INSERT INTO classes (name, created_at, hotkey) VALUES (?, ?, ?)', name, now, hotkey);
}

/** Adds the class without a hotkey unless it exists. */
export function insertClassIfMissing(db: Db, name: string, now: number): void {
  run(db, 'INSERT INTO classes (name, created_at, hotkey) VALUES (?, ?, NULL) ON CONFLICT(name) DO NOTHING', name, now);
}

export function setHotkey(db: Db, name: string, hotkey: string | null): void {
  run(db, 'UPDATE classes SET hotkey = ? WHERE name = ?', hotkey, name);
}

/** Renames the class; person labels and cluster names follow by cascade. */
export function renameClassRow(db: Db, from: string, to: string): void {
  run(db, 'UPDATE classes SET name = ? WHERE name = ?', to, from);
}

/** Deletes the class: its person labels cascade away, its cluster names become NULL, then are dropped. */
export function deleteClassRow(db: Db, name: string): void {
  run(db, 'DELETE FROM classes WHERE name = ?', name);
  run(db, 'DELETE FROM cluster_names WHERE class_name IS NULL');
}

/** Moves the class's person labels and cluster names to another class and deletes it. */
export function moveClassInto(db: Db, from: string, into: string, now: number): void {
  run(db, 'UPDATE person_labels SET class_name = ?, updated_at = ? WHERE class_name = ?', into, now, from);
  run(db, 'UPDATE cluster_names SET class_name = ? WHERE class_name = ?', into, from);
  run(db, 'DELETE FROM classes WHERE name = ?', from);
}

/** Person labels naming the class, in image order. */
export function classPersonLabels(db: Db, name: string): Array<{ imageId: number; className: string; origin: ClassLabelOrigin }> {
  return many(db, 'SELECT image_id, class_name, origin FROM person_labels WHERE class_name = ? ORDER BY image_id', name);
}

/** Cluster names naming the class, by run and cluster. */
export function classClusterNames(db: Db, name: string): Array<{ runId: number; cluster: number; className: string }> {
  return many(db, 'SELECT run_id, cluster, class_name FROM cluster_names WHERE class_name = ? ORDER BY run_id, cluster', name);
}

/** Deletes a class only (the caller has dealt with what named it). */
export function deleteClassOnly(db: Db, name: string): void {
  run(db, 'DELETE FROM classes WHERE name = ?', name);
}
