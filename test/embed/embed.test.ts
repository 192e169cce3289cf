import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { copyFileSync, writeFileSync } from 'node:fs';
import sharp from 'sharp';
import { openProject, type Project } from '../../main/project/project.ts';
import { importFolder } from '../../main/pipeline/import/import-job.ts';
import { embedFiles, embedProject } from '../../main/pipeline/embed/embed-job.ts';
import { countEmbeddings, deleteEmbeddings, getViewSpecs, listViews, loadEmbeddingMatrix } from '../../main/db/embeddings-repo.ts';
import { getBackboneByName } from '../../main/db/backbones-repo.ts';
import { openOnnxModel } from '../../main/ml/onnx.ts';
import { makeCifarSubset, makeTempDir } from '../helpers/cifar-subset.ts';
import { MOBILENET_V1 } from '../helpers/paths.ts';

const NAME = 'mobilenet_v1_1.0_imagenet_features';
const images = makeCifarSubset(4); // 40 images
const projectDir = makeTempDir('spice-embed-');
let project: Project;
let backboneId = 0;

before(async () => {
  project = openProject(projectDir.dir);
  const imported = await importFolder(project, images.dir, { labelsFromFolders: true });
  assert.equal(imported.added, 40);
  const summary = await embedProject(project, { backbone: MOBILENET_V1, views: { weak: 2, strong: 2, fixed: 0 }, seed: 3 });
  assert.equal(summary.computed, 200);
  assert.equal(summary.failed.length, 0);
  assert.equal(summary.inputSize, 128, '32-px images get the small-image size from the JSON beside the model');
  backboneId = summary.backboneId;
});

after(() => {
  project.close();
  projectDir.cleanup();
  images.cleanup();
});

function dot(a: Float32Array, i: number, b: Float32Array, j: number, dim: number): number {
  let s = 0;
  for (let k = 0; k < dim; k++) s += a[i * dim + k] * b[j * dim + k];
  return s;
}

function relPath(id: number): string {
  return (project.db.prepare('SELECT rel_path FROM images WHERE id = ?').get(id) as { rel_path: string }).rel_path;
}

test('a stored plain vector is the backbone output for the preprocessed image, L2-normalised', async () => {
  const plain = loadEmbeddingMatrix(project.db, backboneId, 'plain');
  assert.equal(plain.imageIds.length, 40);
  assert.equal(plain.dim, 1024);
  const model = await openOnnxModel(MOBILENET_V1, { provider: 'cpu' });
  try {
    for (const row of [0, 13, 39]) {
      // Preprocessed here independently: sharp bilinear stretch to 128, then (p/255 - 0.5) / 0.5, NCHW.
      const { data } = await sharp(join(images.dir, relPath(plain.imageIds[row])))
        .resize(128, 128, { kernel: 'linear', fit: 'fill' })
        .removeAlpha()
        .raw()
        .toBuffer({ resolveWithObject: true });
      const input = new Float32Array(3 * 128 * 128);
      for (let p = 0; p < 128 * 128; p++) for (let c = 0; c < 3; c++) input[c * 128 * 128 + p] = (data[p * 3 + c] / 255 - 0.5) / 0.5;
      const out = await model.run({ name: 'input', data: input, dims: [1, 3, 128, 128] }, 'features');
      const norm = Math.sqrt(dot(out.data, 0, out.data, 0, 1024));
      const cos = dot(out.data, 0, plain.data, row, 1024) / norm;
      assert.ok(cos > 0.9999, `row ${row}: cosine ${cos}`);
      assert.ok(Math.abs(dot(plain.data, row, plain.data, row, 1024) - 1) < 1e-5);
    }
  } finally {
    await model.close();
  }
});

test('the view bank: specs recorded, views differ, weak views stay closer to the plain view than strong ones', () => {
  assert.deepEqual(listViews(project.db, backboneId), ['plain', 'weak/0', 'weak/1', 'strong/0', 'strong/1']);
  const specs = getViewSpecs(project.db, backboneId);
  assert.deepEqual(
    specs.map((s) => [s.view, s.kind, s.inputSize]),
    [
      ['plain', 'plain', 128],
      ['weak/0', 'weak', 128],
      ['weak/1', 'weak', 128],
      ['strong/0', 'strong', 128],
      ['strong/1', 'strong', 128],
    ],
  );
  assert.equal(specs[1].seed, 3);
  assert.deepEqual(specs[1].params.cropScale, [0.5, 1]);
  assert.equal(specs[3].params.opsPerImage, 4);
  assert.equal(specs[3].params.cutoutFraction, 0.5);

  const m = (v: string) => loadEmbeddingMatrix(project.db, backboneId, v);
  const plain = m('plain');
  const meanCos = (other: ReturnType<typeof m>) => {
    assert.deepEqual(other.imageIds, plain.imageIds);
    let s = 0;
    for (let i = 0; i < plain.imageIds.length; i++) s += dot(plain.data, i, other.data, i, 1024);
    return s / plain.imageIds.length;
  };
  const weak = (meanCos(m('weak/0')) + meanCos(m('weak/1'))) / 2;
  const strong = (meanCos(m('strong/0')) + meanCos(m('strong/1'))) / 2;
  assert.ok(weak > 0.75, `weak views should stay close to the plain view, mean cosine ${weak}`);
  assert.ok(strong < weak - 0.05, `strong views should be further than weak ones: strong ${strong}, weak ${weak}`);
  const w0 = m('weak/0');
  const w1 = m('weak/1');
  let same = 0;
  for (let i = 0; i < 40; i++) if (dot(w0.data, i, w1.data, i, 1024) > 0.99999) same++;
  assert.ok(same <= 2, `${same} of 40 images got the same weak/0 and weak/1 vector`);
});

test('augmented views are reproducible: recomputed with another batch size and worker count they are identical', async () => {
  const views = ['weak/0', 'weak/1', 'strong/0', 'strong/1'];
  const before = views.map((v) => loadEmbeddingMatrix(project.db, backboneId, v));
  deleteEmbeddings(project.db, backboneId, views);
  const again = await embedProject(project, { backbone: MOBILENET_V1, views: { weak: 2, strong: 2, fixed: 0 }, seed: 3, batchSize: 7, workers: 2 });
  assert.equal(again.computed, 160);
  assert.equal(again.alreadyPresent, 40);
  views.forEach((v, k) => {
    const after = loadEmbeddingMatrix(project.db, backboneId, v);
    assert.deepEqual(after.imageIds, before[k].imageIds);
    let worst = 0;
    for (let i = 0; i < after.data.length; i++) worst = Math.max(worst, Math.abs(after.data[i] - before[k].data[i]));
    assert.ok(worst < 1e-5, `${v}: largest difference ${worst}`);
  });
});

test('a rerun computes nothing; another seed is refused unless --replace, which recomputes the views', async () => {
  const rerun = await embedProject(project, { backbone: MOBILENET_V1, views: { weak: 2, strong: 2, fixed: 0 }, seed: 3 });
  assert.equal(rerun.computed, 0);
  assert.equal(rerun.alreadyPresent, 200);
  await assert.rejects(
    embedProject(project, { backbone: MOBILENET_V1, views: { weak: 2, strong: 2, fixed: 0 }, seed: 4 }),
    /weak\/0, weak\/1, strong\/0, strong\/1 .*other settings.*--replace/,
  );
  const oldWeak = loadEmbeddingMatrix(project.db, backboneId, 'weak/0');
  const replaced = await embedProject(project, { backbone: MOBILENET_V1, views: { weak: 1, strong: 0, fixed: 0 }, seed: 4, replace: true });
  assert.equal(replaced.computed, 40, 'only weak/0 is recomputed');
  const newWeak = loadEmbeddingMatrix(project.db, backboneId, 'weak/0');
  assert.ok(dot(oldWeak.data, 0, newWeak.data, 0, 1024) < 0.99999);
  assert.equal(getViewSpecs(project.db, backboneId).find((s) => s.view === 'weak/0')?.seed, 4);
  assert.equal(countEmbeddings(project.db, backboneId, 'strong/0'), 40, 'views not asked for are left alone');
});

test('another input size is refused while vectors exist, and --replace re-embeds at the new size', async () => {
  await assert.rejects(embedProject(project, { backbone: MOBILENET_V1, size: 160 }), /already has \d+ vectors made at 128 px.*--replace/);
  await assert.rejects(embedProject(project, { backbone: MOBILENET_V1, size: 100, replace: true }), /multiple of 32/);
  assert.equal(getBackboneByName(project.db, NAME)?.inputSize, 128, 'a refused size changes nothing');
  const r = await embedProject(project, { backbone: MOBILENET_V1, size: 160, replace: true });
  assert.equal(r.inputSize, 160);
  assert.equal(r.computed, 40);
  assert.deepEqual(listViews(project.db, backboneId), ['plain'], 'vectors at the old size are gone');
  assert.deepEqual(
    getViewSpecs(project.db, backboneId).map((s) => [s.view, s.inputSize]),
    [['plain', 160]],
  );
  assert.equal(getBackboneByName(project.db, NAME)?.inputSize, 160);
});

test('embedFiles gives the stored plain vector for the same file, and reports files it cannot read', async () => {
  const backbone = getBackboneByName(project.db, NAME)!;
  const plain = loadEmbeddingMatrix(project.db, backboneId, 'plain');
  const scratch = makeTempDir('spice-embedfiles-');
  try {
    const broken = join(scratch.dir, 'broken.jpg');
    writeFileSync(broken, 'not a jpeg');
    const copy = join(scratch.dir, 'copy.jpg');
    copyFileSync(join(images.dir, relPath(plain.imageIds[5])), copy);
    const paths = [join(images.dir, relPath(plain.imageIds[0])), broken, copy, join(scratch.dir, 'missing.png')];
    const r = await embedFiles(project, backbone, paths);
    assert.equal(r.dim, 1024);
    assert.deepEqual(r.ok, [true, false, true, false]);
    assert.deepEqual(
      r.errors.map((e) => e.path),
      [broken, join(scratch.dir, 'missing.png')],
    );
    for (const e of r.errors) assert.ok(e.reason.length > 0);
    assert.ok(dot(r.data, 0, plain.data, 0, 1024) > 0.9999);
    assert.ok(dot(r.data, 2, plain.data, 5, 1024) > 0.9999);
    assert.equal(dot(r.data, 1, r.data, 1, 1024), 0, 'a failed file has a zero row');
  } finally {
    scratch.cleanup();
  }
});
