// The desktop app's packaging: the installer carries the shipped default backbone (unpacked, for
// onnxruntime's native code), and `npm run dist` leaves better-sqlite3 built for Node afterwards,
// whether packaging worked or not (electron-builder rebuilds it for Electron in place).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadRegistry } from '../../main/models/registry.ts';
import { makeTempDir } from '../helpers/cifar-subset.ts';
import { fileDigest } from '../helpers/code-hash.ts';
import { REPO_DIR } from '../helpers/paths.ts';

/** The items of a top-level list in electron-builder.yml (quotes stripped, comments skipped). */
function yamlList(key: string): string[] {
  const lines = readFileSync(join(REPO_DIR, 'electron-builder.yml'), 'utf8').split('\n');
  const start = lines.findIndex((l) => l === `${key}:`);
  assert.ok(start >= 0, `electron-builder.yml has no ${key}`);
  const out: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (/^\S/.test(line)) break;
    const m = /^\s+-\s+(.+)$/.exec(line);
    if (m) out.push(m[1].replace(/^"(.*)"$/, '$1'));
  }
  return out;
}

test('the default backbone ships in models/ with the registry checksum, and the installer carries it unpacked', () => {
  const v1 = loadRegistry().find((e) => e.name === 'mobilenet_v1_imagenet')!;
  assert.ok(readdirSync(join(REPO_DIR, 'models')).includes(v1.file));
  assert.equal(fileDigest(join(REPO_DIR, 'models', v1.file)), v1.sha256);
  assert.ok(yamlList('files').includes('models/*.onnx'), 'files: models/*.onnx');
  assert.ok(yamlList('files').includes('models/*.json'), 'files: models/*.json (registry and card)');
  assert.ok(yamlList('asarUnpack').includes('models/**'), 'asarUnpack: models/**');
});

test(
  'npm run dist builds better-sqlite3 back for Node after packaging, even when packaging fails',
  { skip: process.platform === 'win32' ? 'uses sh stand-ins for npm' : false },
  () => {
    const fake = makeTempDir('spice-fake-npm-');
    try {
      const log = join(fake.dir, 'calls.log');
      // Stand-ins for npm and npx that record their arguments; electron-builder fails.
      for (const name of ['npm', 'npx']) {
        const file = join(fake.dir, name);
        writeFileSync(file, `#!/bin/sh\necho "${name} $*" >> "${log}"\ncase "$*" in electron-builder*) exit 3;; esac\nexit 0\n`);
        chmodSync(file, 0o755);
      }
      const res = spawnSync(process.execPath, [join(REPO_DIR, 'scripts/dist.mjs'), '--linux', 'deb'], {
        encoding: 'utf8',
        env: { ...process.env, PATH: `${fake.dir}:${process.env.PATH}` },
      });
      assert.notEqual(res.status, 0, 'a failed packaging fails the command');
      assert.deepEqual(readFileSync(log, 'utf8').trim().split('\n'), ['npm run build', 'npx electron-builder --publish never --linux deb', 'npm rebuild better-sqlite3']);
    } finally {
      fake.cleanup();
    }
  },
);
