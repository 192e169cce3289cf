// The switch for onnxruntime's CUDA execution provider, checked in one place against onnxruntime-node's
// own installer (main/ml/ort-cuda.ts): `npm ci` never downloads it, `npm run setup:cuda` runs the
// installer with the variable it understands, and the app looks for the library where it lands.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, normalize } from 'node:path';
import { CUDA_INSTALL_ENV, CUDA_SETUP_COMMAND, cudaProviderLibrary, ortBindingDir } from '../../main/ml/ort-cuda.ts';
import { nodeOrtRuntime, openSessionWithFallback, type OrtRuntime } from '../../main/ml/onnx.ts';
import { MOBILENET_V1, REPO_DIR } from '../helpers/paths.ts';

const require = createRequire(import.meta.url);
const ORT_DIR = join(dirname(require.resolve('onnxruntime-node')), '..');
const metadata = require(join(ORT_DIR, 'script', 'install-metadata.js')) as {
  requirements: Record<string, string[]>;
  manifests: Record<string, Record<string, unknown>>;
};
const PLATFORM = `${process.platform}/${process.arch}`;
const pkg = JSON.parse(readFileSync(join(REPO_DIR, 'package.json'), 'utf8')) as { allowScripts: Record<string, boolean>; scripts: Record<string, string> };

test("npm ci never runs onnxruntime-node's download step, with no .npmrc key or variable needed", () => {
  assert.equal(pkg.allowScripts['onnxruntime-node'], false);
  assert.equal(existsSync(join(REPO_DIR, '.npmrc')) && /onnxruntime/.test(readFileSync(join(REPO_DIR, '.npmrc'), 'utf8')), false, '.npmrc carries no onnxruntime key');
  // Nothing else the install needs is left to chance: native modules and esbuild are approved.
  for (const name of ['better-sqlite3', 'esbuild']) assert.equal(pkg.allowScripts[name], true, name);
});

test('setup:cuda runs the installer with a value it accepts, and the library lands where the app looks', () => {
  assert.equal(`npm run ${Object.keys(pkg.scripts).find((s) => pkg.scripts[s] === 'node scripts/setup-cuda.mjs')}`, CUDA_SETUP_COMMAND);
  const dry = spawnSync(process.execPath, [join(REPO_DIR, 'scripts/setup-cuda.mjs'), '--dry-run'], { encoding: 'utf8' });
  assert.equal(dry.status, 0, dry.stderr);
  const plan = JSON.parse(dry.stdout) as { installer: string; env: Record<string, string>; library: string };
  assert.ok(existsSync(plan.installer), plan.installer);
  assert.deepEqual(plan.env, CUDA_INSTALL_ENV);
  assert.equal(normalize(plan.library), normalize(cudaProviderLibrary()));
  assert.equal(normalize(dirname(cudaProviderLibrary())), normalize(ortBindingDir()));
  assert.ok(existsSync(ortBindingDir()), 'the CPU binding sits in the folder the CUDA library goes to');
  // Where onnxruntime-node has a CUDA download for this platform, it writes exactly that file.
  const manifest = metadata.manifests[`${PLATFORM}:${CUDA_INSTALL_ENV.ONNXRUNTIME_NODE_INSTALL}`];
  if (manifest) {
    assert.ok(metadata.requirements[PLATFORM].includes(CUDA_INSTALL_ENV.ONNXRUNTIME_NODE_INSTALL));
    const targets = Object.keys(manifest).map((f) => normalize(join(ortBindingDir(), f)));
    assert.ok(targets.includes(normalize(cudaProviderLibrary())), targets.join('\n'));
  }
});

test('without the CUDA library, auto falls back to the CPU and says how to add it', async () => {
  const runtime: OrtRuntime = {
    ...nodeOrtRuntime,
    listProviders: () => [
      { name: 'cpu', bundled: true },
      { name: 'cuda', bundled: false },
    ],
    providerLibraryPresent: (p) => p === 'cpu',
  };
  const opened = await openSessionWithFallback(MOBILENET_V1, { runtime, provider: 'auto' });
  try {
    assert.equal(opened.provider, 'cpu');
    assert.match(opened.skipped[0].reason, new RegExp(CUDA_SETUP_COMMAND.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  } finally {
    await opened.session.release();
  }
});
