// onnxruntime-node's CUDA execution provider: where its libraries live and how a machine gets them.
// The one place of this switch: `npm ci` never fetches them (package.json's allowScripts denies
// onnxruntime-node's download step, so an install works offline and without any variable set);
// on a CUDA 12 machine `npm run setup:cuda` (scripts/setup-cuda.mjs) runs onnxruntime-node's own
// installer with ONNXRUNTIME_NODE_INSTALL=cuda12, which puts them beside the binding.
// test/embed/ort-cuda.test.ts checks both ends against onnxruntime-node's installer metadata.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

/** What a person runs to add the CUDA provider. */
export const CUDA_SETUP_COMMAND = 'npm run setup:cuda';
/** The installer's switch, set by that command. */
export const CUDA_INSTALL_ENV = { ONNXRUNTIME_NODE_INSTALL: 'cuda12' } as const;

/** The folder of onnxruntime-node's native binding for this platform (its installer writes there too). */
export function ortBindingDir(): string {
  return join(dirname(require.resolve('onnxruntime-node')), '..', 'bin', 'napi-v6', process.platform, process.arch);
}

/** The CUDA provider's shared library for this platform. */
export function cudaProviderLibrary(): string {
  return join(ortBindingDir(), process.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so');
}

export function cudaProviderInstalled(): boolean {
  return existsSync(cudaProviderLibrary());
}
