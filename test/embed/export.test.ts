import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { openProject } from '../../main/project/project.ts';
import { importFolder } from '../../main/pipeline/import/import-job.ts';
import { embedProject } from '../../main/pipeline/embed/embed-job.ts';
import { loadEmbeddingMatrix } from '../../main/db/embeddings-repo.ts';
import { npyHeader } from '../../main/pipeline/embed/npy.ts';
import { exportEmbeddings } from '../../main/pipeline/embed/embeddings-export.ts';
import { makeTempDir } from '../helpers/cifar-subset.ts';
import { REPO_DIR } from '../helpers/paths.ts';
import { writeMeanColourModel } from './tiny-onnx.ts';

const CLI = join(REPO_DIR, 'bin', 'spice-workbench.js');
const work = makeTempDir('spice-export-');
const projectDir = join(work.dir, 'project');
const FILES: Array<[string, [number, number, number]]> = [
  ['cats/one.png', [250, 10, 10]],
  ['dogs/two.png', [10, 250, 10]],
  ['c,d/th"ree.png', [10, 10, 250]],
  ['dogs/four.png', [90, 90, 90]],
];
let backboneId = 0;

function cli(...args: string[]) {
  return spawnSync(process.execPath, [CLI, ...args], { cwd: REPO_DIR, encoding: 'utf8', timeout: 120_000 });
}

before(async () => {
  const imagesDir = join(work.dir, 'images');
  for (const [rel, [r, g, b]] of FILES) {
    mkdirSync(join(imagesDir, rel, '..'), { recursive: true });
    await sharp({ create: { width: 20, height: 20, channels: 3, background: { r, g, b } } })
      .png()
      .toFile(join(imagesDir, rel));
  }
  writeMeanColourModel(join(work.dir, 'meancolour.onnx'));
  writeMeanColourModel(join(work.dir, 'other.onnx'), { layout: 'NHWC' });
  const project = openProject(projectDir);
  try {
    assert.equal((await importFolder(project, imagesDir, { labelsFromFolders: true })).added, 4);
    // An image whose class is unknown.
    project.db.prepare(`UPDATE images SET label = NULL WHERE rel_path = 'dogs/four.png'`).run();
    backboneId = (await embedProject(project, { backbone: join(work.dir, 'meancolour.onnx'), size: 32 })).backboneId;
  } finally {
    project.close();
  }
});

after(() => work.cleanup());

test('export-embeddings writes a float32 N x D .npy (v1.0, C order) and a CSV naming each row', () => {
  const out = join(work.dir, 'emb.npy');
  const r = cli('export-embeddings', '--project', projectDir, '--out', out);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /wrote 4 x 3 float32 \(meancolour, plain\)/);

  const bytes = readFileSync(out);
  assert.deepEqual([...bytes.subarray(0, 6)], [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]);
  assert.deepEqual([bytes[6], bytes[7]], [1, 0]);
  const headerLen = bytes.readUInt16LE(8);
  const header = bytes.subarray(10, 10 + headerLen).toString('latin1');
  assert.equal((10 + headerLen) % 64, 0, 'data starts 64-byte aligned');
  assert.ok(header.endsWith('\n'));
  assert.match(header, /^\{'descr': '<f4', 'fortran_order': False, 'shape': \(4, 3\), \} *\n$/);
  assert.equal(statSync(out).size, 10 + headerLen + 4 * 3 * 4);
  const data = new Float32Array(bytes.buffer.slice(bytes.byteOffset + 10 + headerLen, bytes.byteOffset + bytes.length));

  const project = openProject(projectDir);
  try {
    const m = loadEmbeddingMatrix(project.db, backboneId, 'plain');
    assert.deepEqual(Array.from(data), Array.from(m.data));
    const csv = readFileSync(join(work.dir, 'emb.csv'), 'utf8').trimEnd().split('\n');
    assert.equal(csv[0], 'id,path,label');
    const info = project.db.prepare('SELECT rel_path, label FROM images WHERE id = ?');
    const expectedRows = m.imageIds.map((id) => {
      const row = info.get(id) as { rel_path: string; label: string | null };
      const q = (s: string) => (/[",]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
      return `${id},${q(row.rel_path)},${q(row.label ?? '')}`;
    });
    assert.deepEqual(csv.slice(1), expectedRows);
    assert.ok(
      csv.some((l) => /^\d+,dogs\/four\.png,$/.test(l)),
      'an unknown label is empty',
    );
    assert.ok(
      csv.some((l) => l.endsWith(',"c,d/th""ree.png","c,d"')),
      csv.join('\n'),
    );
    // Rows are the images' vectors: the red image's vector has its largest value in channel 0.
    const redRow = m.imageIds.findIndex((id) => (info.get(id) as { rel_path: string }).rel_path === 'cats/one.png');
    const red = Array.from(data.subarray(redRow * 3, redRow * 3 + 3));
    assert.equal(red.indexOf(Math.max(...red)), 0);
  } finally {
    project.close();
  }
});

test('the npy header pads to 64 bytes for any shape', () => {
  for (const [n, d] of [
    [0, 0],
    [1, 1],
    [10000, 1024],
    [123456789, 4096],
  ]) {
    const h = npyHeader(n, d);
    assert.equal(h.length % 64, 0);
    assert.ok(h.toString('latin1').includes(`'shape': (${n}, ${d})`));
  }
});

test('export-embeddings explains what is missing or ambiguous', async () => {
  const notNpy = cli('export-embeddings', '--project', projectDir, '--out', join(work.dir, 'x.csv'));
  assert.equal(notNpy.status, 2);
  assert.match(notNpy.stderr, /--out must end in \.npy/);
  const project = openProject(projectDir);
  try {
    assert.throws(() => exportEmbeddings(project, { view: 'weak/0', out: join(work.dir, 'w.npy') }), /no 'weak\/0' embeddings yet/);
    assert.throws(() => exportEmbeddings(project, { backbone: 'nope', out: join(work.dir, 'n.npy') }), /no backbone named 'nope'.*meancolour/);
    assert.throws(() => exportEmbeddings(project, { out: join(work.dir, 'missing-folder', 'n.npy') }), /does not exist/);
    await embedProject(project, { backbone: join(work.dir, 'other.onnx'), size: 32 });
    assert.throws(() => exportEmbeddings(project, { out: join(work.dir, 'a.npy') }), /several backbones .*meancolour, other.*--backbone/);
    const chosen = exportEmbeddings(project, { backbone: 'other', out: join(work.dir, 'o.npy') });
    assert.deepEqual([chosen.backbone, chosen.rows, chosen.dim, chosen.missing], ['other', 4, 3, 0]);
    assert.equal(statSync(join(work.dir, 'o.csv')).isFile(), true);
  } finally {
    project.close();
  }
});
