// Labels a person already has, brought in as person labels (origin 'imported'), which refine trains on.
// Unlike --labels-from-folders (ground truth for evaluation only), these are the person's word.
// - CSV: a header naming at least `path` and `class` (other columns are ignored, so the product's own
//   export reads back; with a `source` column, rows whose source is `model` are left out). Paths are
//   relative to the image folder or absolute inside it. Class `outlier` marks an outlier.
// - A labelled folder: one sub-folder per class; each image is matched to the project's images by
//   content (SHA-256), so the folder may lie anywhere. A folder inside the image folder is imported
//   first, so its new images join the project with their labels.
// Every row or file that cannot be used is listed with its reason; the rest is applied in one
// transaction, and the labels it replaced are returned for undo.
import { readFile, readdir } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve } from 'node:path';
import type { Project } from '../../project/project.ts';
import { CsvSyntaxError, parseCsv } from '../../base/csv.ts';
import { sha256OfFile } from '../import/content-hash.ts';
import { importFolder } from '../import/import-job.ts';
import { isInside, toRelPath } from '../import/paths.ts';
import { walkImageFolder } from '../import/walk.ts';
import { ClassNameError, OUTLIER_CLASS_NAME, listClasses, normalizeClassName } from '../../project/classes.ts';
import { setPersonLabels, type PersonLabel, type PersonLabelChange } from './person-labels.ts';
import { InputError } from '../../base/errors.ts';
import { imageIdByHash, imageIdByPath } from '../../db/images-repo.ts';
import { getPersonLabelRow } from '../../db/labels-repo.ts';

export interface RejectedLabel {
  /** 1-based CSV line; 0 for a file of a labelled folder. */
  line: number;
  path: string;
  reason: string;
}

export interface LabelImportResult {
  labelled: number;
  unchanged: number;
  replaced: number;
  classesCreated: string[];
  rejected: RejectedLabel[];
  changes: PersonLabelChange[];
}

export class LabelImportError extends InputError {
  constructor(message: string) {
    super(message);
    this.name = 'LabelImportError';
  }
}

/** One usable label found in the input, before it is applied. */
interface FoundLabel {
  line: number;
  path: string;
  imageId: number;
  label: PersonLabel;
}

export async function importLabelsFromCsv(project: Project, csvFile: string): Promise<LabelImportResult> {
  let text: string;
  try {
    text = await readFile(csvFile, 'utf8');
  } catch (err) {
    throw new LabelImportError(`cannot read ${csvFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let records;
  try {
    records = parseCsv(text);
  } catch (err) {
    if (err instanceof CsvSyntaxError) throw new LabelImportError(`${csvFile}, ${err.message}`);
    throw err;
  }
  if (records.length === 0) throw new LabelImportError(`${csvFile} is empty: expected a header line naming the columns path and class`);
  const header = records[0].fields.map((f) => f.trim().toLowerCase());
  const col = { path: header.indexOf('path'), class: header.indexOf('class'), source: header.indexOf('source') };
  if (col.path < 0 || col.class < 0) {
    throw new LabelImportError(`${csvFile}: the first line must be a header naming the columns path and class (found: ${records[0].fields.join(', ')})`);
  }
  const root = project.imageRoot();
  if (root === null) throw new LabelImportError('this project has no images yet: import the images before their labels');
  const found: FoundLabel[] = [];
  const rejected: RejectedLabel[] = [];
  for (const { line, fields } of records.slice(1)) {
    const path = (fields[col.path] ?? '').trim();
    const rawClass = (fields[col.class] ?? '').trim();
    const reject = (reason: string) => rejected.push({ line, path, reason });
    if (path === '') {
      reject('empty path');
      continue;
    }
    if (col.source >= 0 && (fields[col.source] ?? '').trim().toLowerCase() === 'model') {
      reject("the model's label, not a person's (source model): left out");
      continue;
    }
    const relPath = toProjectRelPath(root, path);
    if (relPath === null) {
      reject(`outside the project's image folder ${root}`);
      continue;
    }
    const imageId = imageIdByPath(project.db, relPath);
    if (imageId === undefined) {
      reject('no imported image at this path');
      continue;
    }
    const label = parseLabel(rawClass);
    if (typeof label === 'string') {
      reject(label);
      continue;
    }
    found.push({ line, path, imageId, label });
  }
  return applyFound(project, found, rejected);
}

export async function importLabelsFromFolder(project: Project, folder: string, options: { signal?: AbortSignal } = {}): Promise<LabelImportResult> {
  const abs = resolve(folder);
  let classDirs: string[];
  try {
    classDirs = (await readdir(abs, { withFileTypes: true }))
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort();
  } catch (err) {
    throw new LabelImportError(`cannot read folder ${abs}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  if (classDirs.length === 0) throw new LabelImportError(`${abs} holds no sub-folders: a labelled folder has one sub-folder of images per class`);
  const root = project.imageRoot();
  if (root !== null && isInside(root, abs)) await importFolder(project, abs, { signal: options.signal });
  const found: FoundLabel[] = [];
  const rejected: RejectedLabel[] = [];
  for (const dir of classDirs) {
    const label = parseLabel(dir);
    const walk = await walkImageFolder(join(abs, dir), { signal: options.signal });
    for (const p of walk.problems) rejected.push({ line: 0, path: relative(abs, p.path), reason: `${p.reason}: ${p.detail}` });
    for (const f of walk.files) {
      const path = relative(abs, f.path);
      if (typeof label === 'string') {
        rejected.push({ line: 0, path, reason: label });
        continue;
      }
      let imageId: number | undefined;
      try {
        imageId = imageIdByHash(project.db, await sha256OfFile(f.path));
      } catch (err) {
        rejected.push({ line: 0, path, reason: `unreadable: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` });
        continue;
      }
      if (imageId === undefined) {
        rejected.push({
          line: 0,
          path,
          reason: root === null ? 'this project has no images yet' : `matches no image of this project (put the folder inside ${root} to import it with its labels)`,
        });
        continue;
      }
      found.push({ line: 0, path, imageId, label });
    }
  }
  return applyFound(project, found, rejected);
}

/** A class column or folder name as a label, or the reason it is not one. */
function parseLabel(raw: string): PersonLabel | string {
  const name = raw.trim();
  if (name === '') return 'empty class';
  if (name.toLowerCase() === OUTLIER_CLASS_NAME) return { kind: 'outlier', origin: 'imported' };
  try {
    return { kind: 'class', className: normalizeClassName(name), origin: 'imported' };
  } catch (err) {
    if (err instanceof ClassNameError) return err.message;
    throw err;
  }
}

function toProjectRelPath(root: string, path: string): string | null {
  const unified = path.replace(/\\/g, '/');
  if (isAbsolute(unified)) return isInside(root, unified) ? toRelPath(root, unified) : null;
  const parts = unified.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.some((p) => p === '..')) return null;
  return parts.join('/');
}

function sameLabel(a: PersonLabel, b: PersonLabel): boolean {
  return a.kind === b.kind && (a.kind === 'outlier' || (b.kind === 'class' && a.className === b.className));
}

function applyFound(project: Project, found: readonly FoundLabel[], rejected: RejectedLabel[]): LabelImportResult {
  const db = project.db;
  // An image listed twice keeps its first label; a second, different one is rejected.
  const first = new Map<number, FoundLabel>();
  for (const f of found) {
    const earlier = first.get(f.imageId);
    if (!earlier) first.set(f.imageId, f);
    else if (!sameLabel(earlier.label, f.label)) {
      const where = earlier.line > 0 ? `line ${earlier.line}` : earlier.path;
      rejected.push({ line: f.line, path: f.path, reason: `the same image got another label at ${where}: the first one is kept` });
    }
  }
  const classesBefore = new Set(listClasses(db));
  const toWrite: Array<{ imageId: number; label: PersonLabel }> = [];
  let unchanged = 0;
  let replaced = 0;
  for (const f of first.values()) {
    const row = getPersonLabelRow(db, f.imageId);
    if (row) {
      const existing: PersonLabel = row.outlier === 1 ? { kind: 'outlier', origin: 'set' } : { kind: 'class', className: row.className!, origin: 'set' };
      if (sameLabel(existing, f.label)) {
        unchanged++;
        continue;
      }
      replaced++;
    }
    toWrite.push({ imageId: f.imageId, label: f.label });
  }
  const changes = setPersonLabels(db, toWrite);
  const classesCreated = listClasses(db).filter((c) => !classesBefore.has(c));
  rejected.sort((a, b) => a.line - b.line || a.path.localeCompare(b.path));
  return { labelled: toWrite.length, unchanged, replaced, classesCreated, rejected, changes };
}
