// Exports of a real k-means run (with names and corrections) as CSV, JSON and folders.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { getEmbeddedProject, type EmbeddedProject } from '../helpers/embedded-project.ts';
import { makeTempDir } from '../helpers/cifar-subset.ts';
import type { Project } from '../../main/project/project.ts';
import { runKmeans } from '../../main/pipeline/cluster/run-kmeans.ts';
import { mapClustersToClass, setClusterName } from '../../main/pipeline/cluster/cluster-names.ts';
import { labelImages, markOutliers } from '../../main/pipeline/label/person-labels.ts';
import { csvField, parseCsv } from '../../main/base/csv.ts';
import { finalLabels, type FinalLabel } from '../../main/pipeline/label/final-labels.ts';
import { CSV_HEADER, exportLabels, folderFor, MANIFEST_FILE, MANIFEST_HEADER } from '../../main/pipeline/label/label-export.ts';

let source: EmbeddedProject;
let project: Project;
let cleanup: () => void;
let out: { dir: string; cleanup(): void };
let runId: number;
let labels: FinalLabel[];

before(async () => {
  source = await getEmbeddedProject({ perClass: 30 });
  ({ project, cleanup } = source.copy());
  out = makeTempDir('spice-export-');
  runId = await runKmeans(project, { k: 6, seed: 0, restarts: 2 });
  setClusterName(project.db, runId, 0, 'animals, mostly'); // a comma, to exercise CSV quoting
  mapClustersToClass(project.db, runId, [1, 2], 'vehicles'); // many-to-one; clusters 3..5 stay unnamed
  const ids = project.db.prepare('SELECT id FROM images ORDER BY id').pluck().all() as number[];
  labelImages(project.db, [ids[0]], 'hand "picked"');
  labelImages(project.db, [ids[2]], 'animals, mostly', 'accepted');
  markOutliers(project.db, [ids[1]]);
  labels = finalLabels(project.db, runId);
});
after(() => {
  cleanup();
  out.cleanup();
});

test('CSV export: exact header, one row per image matching the final labels, paths relative to the image folder', async () => {
  const file = join(out.dir, 'labels.csv');
  const summary = await exportLabels(project, { runId, format: 'csv', out: file });
  const text = readFileSync(file, 'utf8');
  assert.equal(text.split('\n')[0], CSV_HEADER);
  assert.equal(CSV_HEADER, 'path,class,cluster,confidence,source');
  const rows = parseCsv(text)
    .slice(1)
    .map((r) => r.fields);
  assert.equal(rows.length, source.count);
  assert.equal(summary.images, source.count);
  for (let i = 0; i < rows.length; i++) {
    const [path, cls, cluster, confidence, src] = rows[i];
    const l = labels[i];
    assert.equal(path, l.relPath);
    assert.ok(existsSync(join(source.imagesDir, path)), `${path} is relative to the image folder`);
    assert.equal(cls, l.outlier ? 'outlier' : (l.className ?? ''));
    assert.equal(src, l.source);
    assert.equal(Number(cluster), l.cluster);
    assert.ok(Math.abs(Number(confidence) - l.confidence!) < 1e-6);
  }
  assert.equal(rows[0][1], 'hand "picked"', 'a person label wins over the cluster name');
  assert.deepEqual([rows[0][4], rows[1][4], rows[2][4]], ['person', 'person', 'person'], "moved, outlier and accepted labels are the person's");
  assert.equal(rows[1][1], 'outlier', 'an outlier is named as such');
  assert.equal(rows.filter((r) => r[4] === 'person').length, 3);
  assert.ok(rows.filter((r) => r[4] === 'model').every((r) => r[1] === '' || r[1] === 'vehicles' || r[1] === 'animals, mostly'));
  assert.ok(rows.some((r) => r[1] === 'animals, mostly'));
  assert.ok(text.includes('"hand ""picked"""'));
  assert.equal(summary.outliers, 1);
  assert.equal(summary.byPerson, 3);
  assert.equal(summary.perClass['hand "picked"'], 1);
  assert.equal(csvField('a,b'), '"a,b"');
  assert.equal(csvField('plain'), 'plain');
});

test('a cell a spreadsheet would run as a formula is written as text and read back as it was', () => {
  const values = ['=HYPERLINK("http://x","y")', '+1', '-2', '@SUM(A1)', '\tcmd', 'a=b', "'quoted"];
  const written = values.map(csvField);
  assert.deepEqual(written.slice(0, 5), [`"'=HYPERLINK(""http://x"",""y"")"`, "'+1", "'-2", "'@SUM(A1)", "'\tcmd"]);
  assert.equal(written[5], 'a=b', 'only the first character counts');
  assert.deepEqual(parseCsv(written.join(',') + '\n')[0].fields, values, 'the reader takes the quote off again');
});

test('JSON export: run info and one entry per image with the corrected flag', async () => {
  const file = join(out.dir, 'labels.json');
  await exportLabels(project, { runId, format: 'json', out: file });
  const doc = JSON.parse(readFileSync(file, 'utf8')) as {
    run: { id: number; method: string; k: number; backbone: string };
    images: Array<{ path: string; class: string | null; cluster: number | null; confidence: number | null; corrected: boolean; outlier: boolean }>;
  };
  assert.deepEqual([doc.run.id, doc.run.method, doc.run.k, doc.run.backbone], [runId, 'kmeans', 6, source.backboneName]);
  assert.equal(doc.images.length, source.count);
  assert.deepEqual(
    doc.images.map((x) => [x.path, x.class, x.cluster, x.corrected, x.outlier]),
    labels.map((l) => [l.relPath, l.className, l.cluster, l.corrected, l.outlier]),
  );
});

test('folder export: one folder per class, outliers in outlier/, unnamed clusters under unassigned/cluster-<n>, a manifest, copies or symlinks', async () => {
  const dir = join(out.dir, 'folders');
  const summary = await exportLabels(project, { runId, format: 'folders', out: dir });
  assert.deepEqual(summary.missing, []);
  const top = readdirSync(dir).sort();
  assert.ok(top.includes('vehicles') && top.includes('animals, mostly') && top.includes('unassigned') && top.includes('outlier'));
  // The summary names every folder it wrote (what the app reports), and nothing else is there but the manifest.
  assert.deepEqual([...summary.folders, MANIFEST_FILE].sort(), top);
  const manifest = parseCsv(readFileSync(join(dir, MANIFEST_FILE), 'utf8')).map((r) => r.fields);
  assert.equal(manifest[0].join(','), MANIFEST_HEADER);
  assert.equal(manifest.length - 1, source.count);
  for (const [file, sourcePath, cls, src] of manifest.slice(1)) {
    assert.deepEqual(readFileSync(join(dir, file)), readFileSync(join(source.imagesDir, sourcePath)), `${file} is a copy of ${sourcePath}`);
    const l = labels.find((x) => x.relPath === sourcePath)!;
    assert.equal(src, l.source);
    assert.equal(cls, l.outlier ? 'outlier' : (l.className ?? ''));
  }
  let files = 0;
  for (const l of labels) {
    const file = join(dir, folderFor(l), l.relPath.split('/').pop()!);
    assert.ok(existsSync(file), file);
    files++;
  }
  assert.equal(files, source.count);
  assert.equal(readdirSync(join(dir, 'outlier')).length, 1);
  assert.ok(readdirSync(join(dir, 'unassigned')).some((n) => /^cluster-[3-5]$/.test(n)));
  // Same content as the original.
  const first = labels[2];
  assert.deepEqual(readFileSync(join(dir, folderFor(first), first.relPath.split('/').pop()!)), readFileSync(join(source.imagesDir, first.relPath)));

  const linked = join(out.dir, 'linked');
  await exportLabels(project, { runId, format: 'folders', out: linked, folderMode: 'symlink' });
  assert.ok(lstatSync(join(linked, folderFor(first), first.relPath.split('/').pop()!)).isSymbolicLink());
});

test('export: refuses a non-empty folder or a missing parent and leaves them as they were', async () => {
  const busy = join(out.dir, 'busy');
  mkdirSync(busy);
  writeFileSync(join(busy, 'keep.txt'), 'mine');
  await assert.rejects(exportLabels(project, { runId, format: 'folders', out: busy }), /not empty/);
  assert.deepEqual(readdirSync(busy), ['keep.txt']);
  await assert.rejects(exportLabels(project, { runId, format: 'csv', out: join(out.dir, 'nope', 'x.csv') }), /does not exist/);
  await assert.rejects(exportLabels(project, { runId, format: 'csv', out: busy }), /is a folder/);
  await assert.rejects(exportLabels(project, { runId: 999, format: 'csv', out: join(out.dir, 'x.csv') }), /no run 999/);
});
