#!/usr/bin/env node
// `npm run setup:cuda`: adds onnxruntime-node's CUDA 12 execution provider on a machine with an NVIDIA
// GPU, CUDA 12 and cuDNN 9. `npm ci` leaves it out (package.json's allowScripts denies the download
// step, so installs work offline); this runs onnxruntime-node's own installer with
// ONNXRUNTIME_NODE_INSTALL=cuda12, which downloads the provider libraries (several hundred MB, from
// NuGet) beside the binding. Embedding then runs on the GPU (`SPICE_ORT_PROVIDER=cuda` insists on it).
// Usage: npm run setup:cuda [-- --dry-run]   (main/ml/ort-cuda.ts describes the switch)
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const ortDir = join(dirname(require.resolve('onnxruntime-node')), '..');
const installer = join(ortDir, 'script', 'install.js');
const env = { ONNXRUNTIME_NODE_INSTALL: 'cuda12' };
const library = join(
  ortDir,
  'bin',
  'napi-v6',
  process.platform,
  process.arch,
  process.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so',
);

if (process.argv.includes('--dry-run')) {
  console.log(JSON.stringify({ installer, env, library }));
  process.exit(0);
}
if (!existsSync(installer)) {
  console.error(`onnxruntime-node's installer is missing (${installer}): run npm ci first`);
  process.exit(1);
}
console.error(`running onnxruntime-node's installer with ONNXRUNTIME_NODE_INSTALL=${env.ONNXRUNTIME_NODE_INSTALL}`);
const res = spawnSync(process.execPath, [installer], { cwd: ortDir, stdio: 'inherit', env: { ...process.env, ...env } });
if (res.status !== 0 || !existsSync(library)) {
  console.error(`the CUDA provider was not installed (${library} is missing); see the installer's message above`);
  process.exit(res.status || 1);
}
console.error(`CUDA provider installed: ${library}`);
