// Shared by the import tests: a temp project beside a small CIFAR subset, and read-outs of what was stored.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { openProject, type Project } from '../../main/project/project.ts';
import type { ImportSummary } from '../../main/pipeline/import/import-job.ts';
import { makeCifarSubset, makeTempDir } from '../helpers/cifar-subset.ts';

export interface ImportFixture {
  /** Folder of images: <class>/<NNNN>.jpg, plus whatever the test adds. */
  images: string;
  goodCount: number;
  /** Relative paths of the CIFAR files copied in, sorted. */
  goodPaths: string[];
  project: Project;
  cleanup(): void;
}

export function makeImportFixture(perClass = 2, classes: readonly string[] = ['cat', 'dog', 'ship']): ImportFixture {
  const subset = makeCifarSubset(perClass, { classes });
  const projectDir = makeTempDir('spice-import-project-');
  const project = openProject(projectDir.dir);
  return {
    images: subset.dir,
    goodCount: subset.count,
    goodPaths: classes.flatMap((c) => readdirSync(join(subset.dir, c)).map((f) => `${c}/${f}`)).sort(),
    project,
    cleanup: () => {
      project.close();
      subset.cleanup();
      projectDir.cleanup();
    },
  };
}

export interface ErrorRow {
  rel_path: string;
  reason: string;
  detail: string | null;
  duplicate_of: number | null;
}

export function errorRows(project: Project): ErrorRow[] {
  return project.db.prepare('SELECT rel_path, reason, detail, duplicate_of FROM import_errors ORDER BY rel_path').all() as ErrorRow[];
}

export function imagePaths(project: Project): string[] {
  return project.db.prepare('SELECT rel_path FROM images ORDER BY rel_path').pluck().all() as string[];
}

/** Every image has exactly one thumbnail, and no thumbnail is orphaned. */
export function imagesWithoutThumbnail(project: Project): number {
  return project.db.prepare('SELECT COUNT(*) FROM images i LEFT JOIN thumbnails t ON t.image_id = i.id WHERE t.image_id IS NULL').pluck().get() as number;
}

export interface ExpectedImport {
  /** Relative paths of every image the project should hold. */
  images: string[];
  /** [relative path, reason] of every recorded failure other than duplicates. */
  errors: Array<[string, string]>;
  /** [relative path, relative path of the original] of every recorded duplicate. */
  duplicates?: Array<[string, string]>;
}

/** The project holds exactly these images (each with a thumbnail) and exactly these error rows. */
export function assertImportedExactly(project: Project, summary: ImportSummary, expected: ExpectedImport): void {
  const byPair = (a: [string, string], b: [string, string]) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);
  assert.deepEqual(imagePaths(project), [...expected.images].sort(), 'stored images');
  const rows = errorRows(project);
  assert.deepEqual(
    rows.filter((r) => r.reason !== 'duplicate').map((r): [string, string] => [r.rel_path, r.reason]),
    [...expected.errors].sort(byPair),
    'recorded errors',
  );
  const originals = new Map((project.db.prepare('SELECT id, rel_path FROM images').all() as Array<{ id: number; rel_path: string }>).map((r) => [r.id, r.rel_path]));
  assert.deepEqual(
    rows.filter((r) => r.reason === 'duplicate').map((r): [string, string] => [r.rel_path, originals.get(r.duplicate_of ?? -1) ?? '(none)']),
    [...(expected.duplicates ?? [])].sort(byPair),
    'recorded duplicates',
  );
  for (const r of rows) assert.ok(r.detail && r.detail.length > 0, `${r.rel_path} has a human-readable detail`);
  assert.deepEqual(summary.errors.map((e): [string, string] => [e.path, e.reason]).sort(byPair), [...expected.errors].sort(byPair), 'errors in the summary');
  assert.equal(summary.duplicates, expected.duplicates?.length ?? 0, 'duplicates in the summary');
  assert.equal(summary.scanned, summary.added + summary.alreadyPresent + summary.duplicates + summary.errors.length, 'every scanned entry is accounted for');
  assert.equal(imagesWithoutThumbnail(project), 0, 'every image has a thumbnail');
}
