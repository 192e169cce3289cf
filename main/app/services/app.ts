// app.*: what this build runs on.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AppApi, AppInfo } from '../../../preload/contract/api.ts';
import type { ServiceContext } from './context.ts';
import { ApiError } from './api-errors.ts';

export function createAppService(ctx: ServiceContext): AppApi {
  // Loading the TF.js backend takes a moment: start it soon after startup (not during the first
  // page load, which it would slow down) so app.info rarely waits for it.
  let tf: Promise<AppInfo['tfBackend']> | null = null;
  const tfInfo = () => (tf ??= tfBackendInfo());
  setTimeout(() => void tfInfo(), 3000).unref();
  return {
    async info(): Promise<AppInfo> {
      const pkg = readPackageJson();
      return {
        name: 'SPICE Workbench',
        version: ctx.host.version ?? pkg.version,
        platform: ctx.session.platform,
        os: process.platform,
        nodeVersion: process.versions.node,
        electronVersion: ctx.host.electronVersion ?? null,
        onnxExecutionProvider: await expectedOnnxProvider(),
        tfBackend: await tfInfo(),
        canChooseFolders: Boolean(ctx.host.chooseFolder),
        projectDir: ctx.session.project?.dir ?? null,
      };
    },
    async chooseFolder(params) {
      if (!ctx.host.chooseFolder) {
        throw new ApiError('not-available', 'a folder dialog is only available in the desktop app: type the folder path instead');
      }
      return { dir: await ctx.host.chooseFolder(params ?? {}) };
    },
  };
}

let packageJson: { version: string } | null = null;

/** The nearest package.json above this file (the repository, or the packaged app's root). */
function readPackageJson(): { version: string } {
  if (packageJson) return packageJson;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const data = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (data.name === 'spice-workbench') return (packageJson = { version: data.version ?? '0.0.0' });
    }
    const parent = dirname(dir);
    if (parent === dir) return (packageJson = { version: '0.0.0' });
    dir = parent;
  }
}

/** The provider embeddings ran on in this process, else the first installed one of the preference list. */
async function expectedOnnxProvider(): Promise<string | null> {
  try {
    const used = (await import('../../pipeline/embed/embed-job.ts')).activeExecutionProvider();
    if (used) return used;
    const onnx = await import('../../ml/onnx.ts');
    const known = new Set(onnx.nodeOrtRuntime.listProviders().map((p) => p.name));
    return onnx.PROVIDER_PREFERENCE.find((p) => known.has(p) && onnx.nodeOrtRuntime.providerLibraryPresent(p)) ?? null;
  } catch {
    return null;
  }
}

async function tfBackendInfo(): Promise<AppInfo['tfBackend']> {
  try {
    const tf = await import('../../ml/tf-backend.ts');
    const info = tf.activeTfBackend() ?? (await tf.initTfBackend());
    return { name: info.name, description: info.description, gpu: info.gpu };
  } catch {
    return null;
  }
}
