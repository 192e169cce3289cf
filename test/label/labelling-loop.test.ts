// The labelling loop on real MobileNet v1 embeddings of a small CIFAR-10 subset (with a view bank):
// person labels brought in from a CSV and a labelled folder (bad rows listed, nothing else lost), refine
// learning from them without ever overwriting one, a class known only from person labels getting its own
// output, and names surviving a re-run.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { getEmbeddedProject, type EmbeddedProject } from '../helpers/embedded-project.ts';
import { makeTempDir } from '../helpers/cifar-subset.ts';
import type { Project } from '../../main/project/project.ts';
import { applyProposal, getClusterNames, proposeMappingFromGroundTruth } from '../../main/pipeline/cluster/cluster-names.ts';
import { finalLabelAccuracy } from '../../main/pipeline/cluster/evaluate.ts';
import { getRun, loadAssignments } from '../../main/db/runs-repo.ts';
import { defaultRun } from '../../main/pipeline/cluster/default-run.ts';
import { runSpice } from '../../main/pipeline/cluster/spice.ts';
import { runKmeans } from '../../main/pipeline/cluster/run-kmeans.ts';
import { importLabelsFromCsv, importLabelsFromFolder } from '../../main/pipeline/label/label-import.ts';
import { listPersonLabels } from '../../main/pipeline/label/person-labels.ts';
import { refineClasses, runRefine } from '../../main/pipeline/label/refine-job.ts';

let source: EmbeddedProject;
let project: Project;
let cleanup: () => void;
let tmp: { dir: string; cleanup(): void };
let spiceRun: number;
/** image id -> folder label, and the images of each class in id order. */
let byClass: Map<string, number[]>;
let relPath: Map<number, string>;

before(async () => {
  source = await getEmbeddedProject({ perClass: 30, views: { weak: 2, strong: 2 } });
  ({ project, cleanup } = source.copy());
  tmp = makeTempDir('spice-labels-');
  spiceRun = await runSpice(project, { k: 10, seed: 0, heads: 3, epochs: 6, pcaDim: 64, self: { minSteps: 200 } });
  // A person names every cluster after what it mostly holds (the ground-truth proposal stands in for them).
  applyProposal(project.db, spiceRun, proposeMappingFromGroundTruth(project.db, spiceRun));
  const rows = project.db.prepare('SELECT id, rel_path, label FROM images ORDER BY id').all() as Array<{ id: number; rel_path: string; label: string }>;
  relPath = new Map(rows.map((r) => [r.id, r.rel_path]));
  byClass = new Map();
  for (const r of rows) byClass.set(r.label, [...(byClass.get(r.label) ?? []), r.id]);
});
after(() => {
  cleanup();
  tmp.cleanup();
});

test('labels import from a CSV: good rows become person labels, every bad row is listed with its reason', async () => {
  const [a, b, c, d] = byClass.get('airplane')!;
  const root = project.imageRoot()!;
  const csv = [
    'path,class,cluster',
    `${relPath.get(a)},airplane,3`, // relative path, extra column ignored
    `${join(root, relPath.get(b)!)},airplane,`, // absolute path inside the image folder
    `"${relPath.get(c)}",  airplane  ,`, // quoted path, padded class
    'no/such/image.jpg,airplane,',
    `${relPath.get(d)},,`,
    `${relPath.get(d)},a/b,`,
    `/elsewhere/x.jpg,airplane,`,
    `${relPath.get(a)},bird,`, // the same image again with another class
    `${relPath.get(d)},outlier,`,
  ].join('\r\n');
  const file = join(tmp.dir, 'labels.csv');
  writeFileSync(file, csv);
  const before = listPersonLabels(project.db).size;
  const r = await importLabelsFromCsv(project, file);
  assert.equal(r.labelled, 4);
  assert.deepEqual(
    r.rejected.map((x) => [x.line, x.reason.split(' ').slice(0, 3).join(' ')]),
    [
      [5, 'no imported image'],
      [6, 'empty class'],
      [7, "class name 'a/b'"],
      [8, "outside the project's"],
      [9, 'the same image'],
    ],
  );
  const labels = listPersonLabels(project.db);
  assert.equal(labels.size, before + 4);
  for (const id of [a, b, c]) assert.deepEqual(labels.get(id), { kind: 'class', className: 'airplane', origin: 'imported' });
  assert.deepEqual(labels.get(d), { kind: 'outlier', origin: 'imported' });
  // Importing the same file again changes nothing.
  const again = await importLabelsFromCsv(project, file);
  assert.deepEqual([again.labelled, again.unchanged], [0, 4]);
  await assert.rejects(importLabelsFromCsv(project, join(tmp.dir, 'missing.csv')), /cannot read/);
  writeFileSync(join(tmp.dir, 'noheader.csv'), `${relPath.get(a)},airplane\n`);
  await assert.rejects(importLabelsFromCsv(project, join(tmp.dir, 'noheader.csv')), /header naming the columns path and class/);
});

test('labels import from a labelled folder matches images by content, wherever the folder is', async () => {
  const seeds = join(tmp.dir, 'seeds');
  const picked: Array<[string, number]> = [];
  for (const cls of ['bird', 'cat']) {
    mkdirSync(join(seeds, cls), { recursive: true });
    for (const id of byClass.get(cls)!.slice(0, 2)) {
      copyFileSync(join(project.imageRoot()!, relPath.get(id)!), join(seeds, cls, `copy-${id}.jpg`));
      picked.push([cls, id]);
    }
  }
  writeFileSync(join(seeds, 'cat', 'not-in-project.jpg'), Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]));
  const r = await importLabelsFromFolder(project, seeds);
  assert.equal(r.labelled, 4);
  assert.equal(r.rejected.length, 1);
  assert.match(r.rejected[0].reason, /matches no image of this project/);
  const labels = listPersonLabels(project.db);
  for (const [cls, id] of picked) assert.deepEqual(labels.get(id), { kind: 'class', className: cls, origin: 'imported' });
});

test('refine learns from the person labels, never overwrites one, and gives a class seen only in person labels its own output', async () => {
  // Five true labels per class, as a person with a few labelled examples has ...
  const csv = ['path,class'];
  for (const [cls, ids] of byClass) for (const id of ids.slice(0, 5)) csv.push(`${relPath.get(id)},${cls}`);
  // ... one deliberately odd label the model will disagree with, and a class no cluster is named after.
  const odd = byClass.get('ship')![10];
  csv.push(`${relPath.get(odd)},frog`);
  const zebras = byClass.get('horse')!.slice(20, 24);
  for (const id of zebras) csv.push(`${relPath.get(id)},zebra`);
  writeFileSync(join(tmp.dir, 'seed.csv'), csv.join('\n'));
  await importLabelsFromCsv(project, join(tmp.dir, 'seed.csv'));
  const labelsBefore = listPersonLabels(project.db);
  const accuracyBefore = finalLabelAccuracy(project.db, spiceRun);

  const refined = await runRefine(project, { baseRunId: spiceRun });
  const run = getRun(project.db, refined)!;
  assert.equal(run.method, 'refine');
  assert.equal(run.state, 'done');
  assert.equal(defaultRun(project.db)?.id, refined, 'the refined run is shown first');
  const outputs = (run.report as { outputs: Array<string | null> }).outputs;
  assert.ok(outputs.includes('zebra'), 'a class known only from person labels gets its own output');
  assert.deepEqual(getClusterNames(project.db, refined), outputs, 'each output is named after its class');
  assert.equal(loadAssignments(project.db, refined).length, source.count, 'every image gets a new prediction');

  assert.deepEqual(listPersonLabels(project.db), labelsBefore, 'refine writes no person label');
  const final = new Map(project.db.prepare('SELECT image_id, final_label FROM run_labels WHERE run_id = ?').raw().all(refined) as Array<[number, string | null]>);
  assert.equal(final.get(odd), 'frog', "the person's label wins even where the model disagrees");
  for (const id of zebras) assert.equal(final.get(id), 'zebra');
  const accuracyAfter = finalLabelAccuracy(project.db, refined);
  assert.ok(
    accuracyAfter.correct >= accuracyBefore.correct,
    `label accuracy does not drop: ${accuracyBefore.correct} -> ${accuracyAfter.correct} of ${accuracyAfter.total}`,
  );
  assert.deepEqual(refineClasses(project.db, run).outputs, outputs, 'refining the refined run keeps its classes');
});

test('cluster names survive re-clustering: a new run is named from the earlier one by shared members', async () => {
  // The person clusters again and names what they see ...
  const first = await runKmeans(project, { k: 10, seed: 0, restarts: 5 });
  applyProposal(project.db, first, proposeMappingFromGroundTruth(project.db, first));
  const named = getClusterNames(project.db, first);
  // ... then re-runs the clustering: k-means from another seed finds some of the same groups, numbered anew.
  const again = await runKmeans(project, { k: 10, seed: 1, restarts: 5 });
  assert.equal(getRun(project.db, again)?.namesFrom, first);
  const names = getClusterNames(project.db, again);
  const sizes = (run: number) =>
    project.db.prepare('SELECT cluster, COUNT(*) AS n FROM assignments WHERE run_id = ? GROUP BY cluster').raw().all(run) as Array<[number, number]>;
  // Each new cluster that holds mostly the members of an earlier one carries that one's name.
  const overlap = project.db
    .prepare(
      `SELECT b.cluster AS nb, a.cluster AS na, COUNT(*) AS n FROM assignments a JOIN assignments b ON b.image_id = a.image_id AND b.run_id = ?
     WHERE a.run_id = ? GROUP BY b.cluster, a.cluster`,
    )
    .all(again, first) as Array<{ nb: number; na: number; n: number }>;
  let checked = 0;
  for (const [nb, size] of sizes(again)) {
    const best = overlap.filter((o) => o.nb === nb).sort((x, y) => y.n - x.n)[0];
    if (best.n / size < 0.8 || named.filter((n) => n === named[best.na]).length > 1) continue;
    assert.equal(names[nb], named[best.na], `cluster ${nb} holds ${best.n} of its ${size} images from '${named[best.na]}'`);
    checked++;
  }
  assert.ok(checked >= 1, `${checked} clusters were clearly the same in both runs`);
  // Clustering again with the same settings (the demo run twice, say) keeps every name.
  const same = await runKmeans(project, { k: 10, seed: 0, restarts: 5 });
  assert.deepEqual(getClusterNames(project.db, same), named);
  // The person's labels still decide their images in the new run.
  const odd = byClass.get('ship')![10];
  assert.equal(project.db.prepare('SELECT final_label FROM run_labels WHERE run_id = ? AND image_id = ?').pluck().get(again, odd), 'frog');
});
