import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { copyFileSync, createReadStream, existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { downloadVerified, DownloadError, sha256File } from '../../main/models/download.ts';
import { embeddedModelsDir, locateRegistryWeights, loadRegistry, modelCacheDir, modelSearchDirs, sharedDataDir, unpackedFromAsar } from '../../main/models/registry.ts';
import { resolveBackbone } from '../../main/models/resolve-backbone.ts';
import { openProject } from '../../main/project/project.ts';
import { makeTempDir } from '../helpers/cifar-subset.ts';
import { MOBILENET_V1, REPO_DIR } from '../helpers/paths.ts';

const V1_SHA = '3deed6d91cb6aab5400a34e2be7f40fc4cd28a905b71b5842721c2b116c365bb';
const V1_BYTES = statSync(MOBILENET_V1).size;

let server: Server;
let base = '';
let hits = 0;
const tmp = makeTempDir('spice-dl-');
const savedEnv = { cache: process.env.SPICE_CACHE_DIR, registry: process.env.SPICE_MODEL_REGISTRY, models: process.env.SPICE_MODELS_DIR };

before(async () => {
  process.env.SPICE_CACHE_DIR = join(tmp.dir, 'cache');
  server = createServer((req, res) => {
    hits++;
    if (req.url === '/models/mobilenet_v1.onnx') {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(V1_BYTES) });
      createReadStream(MOBILENET_V1).pipe(res);
    } else {
      res.writeHead(404).end('not here');
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(() => {
  server.close();
  for (const [k, v] of [
    ['SPICE_CACHE_DIR', savedEnv.cache],
    ['SPICE_MODEL_REGISTRY', savedEnv.registry],
    ['SPICE_MODELS_DIR', savedEnv.models],
  ] as const) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  tmp.cleanup();
});

test('a download with the right sha256 lands in place, with rising progress up to the full size', async () => {
  const dest = join(tmp.dir, 'good', 'm.onnx');
  const progress: Array<{ bytes: number; totalBytes: number | null }> = [];
  const r = await downloadVerified(`${base}/models/mobilenet_v1.onnx`, dest, { sha256: V1_SHA, onProgress: (p) => progress.push(p) });
  assert.equal(r.bytes, V1_BYTES);
  assert.equal(await sha256File(dest), V1_SHA);
  assert.ok(progress.length > 2);
  for (let i = 1; i < progress.length; i++) assert.ok(progress[i].bytes >= progress[i - 1].bytes);
  assert.deepEqual(progress.at(-1), { bytes: V1_BYTES, totalBytes: V1_BYTES });
  assert.deepEqual(readdirSync(join(tmp.dir, 'good')), ['m.onnx'], 'no partial file left behind');
});

test('a wrong sha256 is refused and nothing is kept', async () => {
  const dir = join(tmp.dir, 'bad');
  const wrong = 'f'.repeat(64);
  await assert.rejects(
    downloadVerified(`${base}/models/mobilenet_v1.onnx`, join(dir, 'm.onnx'), { sha256: wrong, label: 'test model' }),
    (err: unknown) => err instanceof DownloadError && err.code === 'checksum' && err.message.includes(`expected sha256 ${wrong}`) && err.message.includes(V1_SHA),
  );
  assert.deepEqual(readdirSync(dir), []);
});

test('a refused connection says so and suggests the offline way', async () => {
  // A port that was just free: bind, read the port, close.
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const port = (probe.address() as AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));
  await assert.rejects(
    downloadVerified(`http://127.0.0.1:${port}/m.onnx`, join(tmp.dir, 'refused', 'm.onnx'), { sha256: V1_SHA, label: 'mobilenet' }),
    (err: unknown) => err instanceof DownloadError && err.code === 'offline' && /connection refused/.test(err.message) && /offline/i.test(err.message),
  );
  assert.equal(existsSync(join(tmp.dir, 'refused', 'm.onnx')), false);
});

test('an HTTP error status is reported with its code', async () => {
  await assert.rejects(downloadVerified(`${base}/nothing.onnx`, join(tmp.dir, 'h404', 'm.onnx'), { sha256: V1_SHA }), /HTTP 404/);
});

function writeRegistry(name: string, entries: Array<Record<string, unknown>>): string {
  const file = join(tmp.dir, name);
  const common = {
    input_name: 'input',
    output_name: 'features',
    layout: 'NCHW',
    channel_order: 'RGB',
    mean: [0.5, 0.5, 0.5],
    std: [0.5, 0.5, 0.5],
    native_input_size: 224,
    small_image_input_size: 128,
    size_multiple: 32,
    output_dim: 1024,
    license: 'Apache-2.0',
  };
  writeFileSync(file, JSON.stringify({ format: 1, backbones: entries.map((e) => ({ ...common, ...e })) }));
  return file;
}

test('a registry backbone with a URL is downloaded once into the per-user cache and added to the project', async () => {
  process.env.SPICE_MODEL_REGISTRY = writeRegistry('registry-remote.json', [
    { name: 'remote_v1', file: 'remote_v1.onnx', url: `${base}/models/mobilenet_v1.onnx`, sha256: V1_SHA },
  ]);
  const proj = makeTempDir('spice-dl-proj-');
  const project = openProject(proj.dir);
  try {
    const before = hits;
    const progress: number[] = [];
    const b = await resolveBackbone(project, 'remote_v1', { onProgress: (p) => progress.push(p.bytes) });
    assert.equal(hits - before, 1);
    assert.equal(b.location, join(modelCacheDir(), 'remote_v1.onnx'));
    assert.ok(b.location.startsWith(join(tmp.dir, 'cache')), 'weights go to the cache, not the repository');
    assert.equal(b.sha256, V1_SHA);
    assert.equal(b.source, 'registry');
    assert.equal(b.outputDim, 1024);
    assert.equal(b.inputSize, 224, 'no images yet: the native size');
    assert.equal(progress.at(-1), V1_BYTES);
    const again = await resolveBackbone(project, 'remote_v1');
    assert.equal(again.id, b.id);
    assert.equal(hits - before, 1, 'the cached file is used, not downloaded again');
  } finally {
    project.close();
    proj.cleanup();
    delete process.env.SPICE_MODEL_REGISTRY;
  }
});

test('a registry download with a wrong checksum fails clearly and adds nothing', async () => {
  process.env.SPICE_MODEL_REGISTRY = writeRegistry('registry-badsha.json', [
    { name: 'badsha', file: 'badsha.onnx', url: `${base}/models/mobilenet_v1.onnx`, sha256: '0'.repeat(64) },
  ]);
  const proj = makeTempDir('spice-dl-proj-');
  const project = openProject(proj.dir);
  try {
    await assert.rejects(resolveBackbone(project, 'badsha'), /checksum mismatch for badsha/);
    assert.equal((project.db.prepare('SELECT COUNT(*) AS n FROM backbones').get() as { n: number }).n, 0);
    assert.equal(existsSync(join(modelCacheDir(), 'badsha.onnx')), false);
  } finally {
    project.close();
    proj.cleanup();
    delete process.env.SPICE_MODEL_REGISTRY;
  }
});

test('the default backbone is found in the models folder shipped with the repository, even without ../shared', async () => {
  const v1 = loadRegistry().find((e) => e.name === 'mobilenet_v1_imagenet');
  assert.ok(v1, 'the shipped registry lists mobilenet_v1_imagenet');
  assert.equal(v1.url, null);
  const saved = process.env.SPICE_SHARED_DIR;
  process.env.SPICE_SHARED_DIR = join(tmp.dir, 'no-shared-here');
  try {
    assert.equal(await locateRegistryWeights(v1), join(REPO_DIR, 'models', v1.file));
  } finally {
    if (saved === undefined) delete process.env.SPICE_SHARED_DIR;
    else process.env.SPICE_SHARED_DIR = saved;
  }
});

test('weights are looked for in the user folders first, then the shipped models, then ../shared', () => {
  const saved = process.env.SPICE_MODELS_DIR;
  process.env.SPICE_MODELS_DIR = join(tmp.dir, 'mine');
  try {
    const dirs = modelSearchDirs();
    const at = (d: string) => dirs.indexOf(d);
    assert.equal(at(join(tmp.dir, 'mine')), 0);
    assert.ok(at(modelCacheDir()) < at(embeddedModelsDir()), dirs.join('\n'));
    assert.ok(at(embeddedModelsDir()) < at(join(sharedDataDir(), 'models')), dirs.join('\n'));
  } finally {
    if (saved === undefined) delete process.env.SPICE_MODELS_DIR;
    else process.env.SPICE_MODELS_DIR = saved;
  }
  // Inside the packaged app the shipped weights are read from the unpacked copy (native code cannot read the asar).
  assert.equal(unpackedFromAsar('/opt/SPICE Workbench/resources/app.asar/models'), '/opt/SPICE Workbench/resources/app.asar.unpacked/models');
  assert.equal(unpackedFromAsar('C:\\Apps\\resources\\app.asar\\models'), 'C:\\Apps\\resources\\app.asar.unpacked\\models');
  assert.equal(unpackedFromAsar('/home/me/spice-workbench/models'), '/home/me/spice-workbench/models');
});

test('a local-only registry entry found nowhere says where to put it', async () => {
  const v1 = loadRegistry().find((e) => e.name === 'mobilenet_v1_imagenet')!;
  const missing = { ...v1, name: 'nowhere', file: 'no-such-model.onnx' };
  await assert.rejects(locateRegistryWeights(missing), /no public download; put no-such-model\.onnx .*SPICE_MODELS_DIR/);
});

test('a models folder from SPICE_MODELS_DIR is searched, and a file there with other bytes is ignored', async () => {
  const dir = join(tmp.dir, 'models-dir');
  const v1 = loadRegistry().find((e) => e.name === 'mobilenet_v1_imagenet')!;
  const fake = { ...v1, name: 'fake', file: 'fake.onnx' };
  process.env.SPICE_MODELS_DIR = dir;
  try {
    mkdirSync(dir, { recursive: true });
    copyFileSync(MOBILENET_V1, join(dir, 'fake.onnx'));
    assert.equal(await locateRegistryWeights(fake), join(dir, 'fake.onnx'));
    writeFileSync(join(dir, 'fake.onnx'), 'not the model');
    const warnings: string[] = [];
    await assert.rejects(locateRegistryWeights(fake, { log: (m) => warnings.push(m) }), /no public download/);
    assert.ok(
      warnings.some((w) => w.includes('fake.onnx') && w.includes('sha256')),
      warnings.join('\n'),
    );
  } finally {
    delete process.env.SPICE_MODELS_DIR;
  }
});
