// Fixed views through the real embed stage (MobileNet v1, a handful of CIFAR images): each stored
// fixed/<name> vector is the backbone's plain vector of an image file holding that transform, made here
// with sharp (flop, extract) or by hand (luma), independently of fixed-views.ts.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp, { type Sharp } from 'sharp';
import { openProject, type Project } from '../../main/project/project.ts';
import { importFolder } from '../../main/pipeline/import/import-job.ts';
import { embedProject } from '../../main/pipeline/embed/embed-job.ts';
import { getViewSpecs, listViews, loadEmbeddingMatrix } from '../../main/db/embeddings-repo.ts';
import { makeCifarSubset, makeTempDir } from '../helpers/cifar-subset.ts';
import { MOBILENET_V1, REPO_DIR } from '../helpers/paths.ts';

const FIXED = ['fixed/gray', 'fixed/flip', 'fixed/zoom', 'fixed/gray-zoom'];
const images = makeCifarSubset(1, { classes: ['airplane', 'cat', 'frog'] }); // 3 images, 32 x 32
const projectDir = makeTempDir('spice-fixed-');
const SOURCE = 'cat/0000.jpg';
let project: Project;
let backboneId = 0;

type Raw = { data: Buffer; width: number; height: number };

async function raw(pipeline: Sharp): Promise<Raw> {
  const { data, info } = await pipeline.removeAlpha().raw().toBuffer({ resolveWithObject: true });
  assert.equal(info.channels, 3);
  return { data, width: info.width, height: info.height };
}

function grey(img: Raw): Raw {
  const out = Buffer.alloc(img.data.length);
  for (let o = 0; o < out.length; o += 3) out.fill(Math.round(0.299 * img.data[o] + 0.587 * img.data[o + 1] + 0.114 * img.data[o + 2]), o, o + 3);
  return { ...img, data: out };
}

function savePng(img: Raw, file: string): Promise<unknown> {
  return sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
    .png()
    .toFile(file);
}

before(async () => {
  // derived/<name>.png: what each fixed view of SOURCE should look like before the final resize.
  const src = join(images.dir, SOURCE);
  const derived = join(images.dir, 'derived');
  mkdirSync(derived);
  const zoom = await raw(sharp(src).extract({ left: 4, top: 4, width: 24, height: 24 }));
  await savePng(grey(await raw(sharp(src))), join(derived, 'gray.png'));
  await savePng(await raw(sharp(src).flop()), join(derived, 'flip.png'));
  await savePng(zoom, join(derived, 'zoom.png'));
  await savePng(grey(zoom), join(derived, 'gray-zoom.png'));

  project = openProject(projectDir.dir);
  assert.equal((await importFolder(project, images.dir, { labelsFromFolders: true })).added, 7);
  // Plain and fixed views only: no augmentation settings are needed.
  const summary = await embedProject(project, { backbone: MOBILENET_V1, views: { weak: 0, strong: 0, fixed: 4 }, seed: 3 });
  assert.deepEqual(summary.failed, []);
  assert.deepEqual(summary.views, ['plain', ...FIXED]);
  assert.equal(summary.computed, 7 * 5);
  backboneId = summary.backboneId;
});

after(() => {
  project.close();
  projectDir.cleanup();
  images.cleanup();
});

function imageId(relPath: string): number {
  return (project.db.prepare('SELECT id FROM images WHERE rel_path = ?').get(relPath) as { id: number }).id;
}

function vector(view: string, relPath: string): Float32Array {
  const m = loadEmbeddingMatrix(project.db, backboneId, view);
  const row = m.imageIds.indexOf(imageId(relPath));
  assert.ok(row >= 0, `no ${view} vector of ${relPath}`);
  return m.data.slice(row * m.dim, (row + 1) * m.dim);
}

function cosine(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

test('fixed=4 stores four more vectors per image, fixed/gray..fixed/gray-zoom, with their specs', () => {
  assert.deepEqual(listViews(project.db, backboneId), ['plain', ...FIXED]);
  for (const v of FIXED) assert.equal(loadEmbeddingMatrix(project.db, backboneId, v).imageIds.length, 7, v);
  const specs = getViewSpecs(project.db, backboneId);
  assert.deepEqual(
    specs.map((s) => [s.view, s.kind, s.seed, s.inputSize]),
    [['plain', 'plain', 0, 128], ...FIXED.map((v) => [v, 'fixed', 0, 128])],
  );
  assert.deepEqual(
    specs.slice(1).map((s) => s.params.transform),
    ['gray', 'flip', 'zoom', 'gray-zoom'],
  );
  assert.deepEqual(
    specs.slice(1).map((s) => s.params.zoom),
    [undefined, undefined, 0.75, 0.75],
  );
});

test('each fixed view of an image is the plain view of that transform of the image', () => {
  for (const v of FIXED) {
    const cos = cosine(vector(v, SOURCE), vector('plain', `derived/${v.slice('fixed/'.length)}.png`));
    assert.ok(cos > 0.9999, `${v}: cosine ${cos}`);
  }
  // A grey image stays as it is: its fixed/gray vector is its plain one.
  const cos = cosine(vector('fixed/gray', 'derived/gray.png'), vector('plain', 'derived/gray.png'));
  assert.ok(cos > 0.9999, `grey of grey: cosine ${cos}`);
});

test('fixed views change the image: each differs from the plain view and from the others', () => {
  for (const rel of ['airplane/0000.jpg', SOURCE, 'frog/0000.jpg']) {
    const plain = vector('plain', rel);
    const fixed = FIXED.map((v) => vector(v, rel));
    fixed.forEach((f, i) => {
      assert.ok(cosine(plain, f) < 0.999, `${rel} ${FIXED[i]} equals the plain view`);
      for (let j = 0; j < i; j++) assert.ok(cosine(fixed[j], f) < 0.999, `${rel}: ${FIXED[j]} equals ${FIXED[i]}`);
    });
  }
});

test('fixed views do not depend on the seed: another seed with a weak view added only computes that view', async () => {
  const kept = FIXED.map((v) => loadEmbeddingMatrix(project.db, backboneId, v).data);
  const again = await embedProject(project, { backbone: MOBILENET_V1, views: { weak: 1, strong: 0, fixed: 4 }, seed: 8 });
  assert.equal(again.computed, 7);
  assert.equal(again.alreadyPresent, 7 * 5);
  assert.deepEqual(listViews(project.db, backboneId), ['plain', 'weak/0', ...FIXED]);
  FIXED.forEach((v, k) => assert.deepEqual(loadEmbeddingMatrix(project.db, backboneId, v).data, kept[k], v));
  const fewer = await embedProject(project, { backbone: MOBILENET_V1, views: { weak: 0, strong: 0, fixed: 2 } });
  assert.equal(fewer.computed, 0);
  assert.deepEqual(fewer.views, ['plain', 'fixed/gray', 'fixed/flip']);
});

test('the CLI takes fixed=N in --views and refuses more than 4', () => {
  const r = spawnSync(
    process.execPath,
    [join(REPO_DIR, 'bin', 'spice-workbench.js'), 'embed', '--project', projectDir.dir, '--model', MOBILENET_V1, '--views', 'weak=1,fixed=5'],
    {
      encoding: 'utf8',
    },
  );
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /fixed views must be an integer from 0 to 4/);
});
