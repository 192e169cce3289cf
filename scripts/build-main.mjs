#!/usr/bin/env node
// Bundles the Electron main process, the sandboxed preload and the worker threads into dist/electron/.
// Usage: npm run build:main
//
// - main.js: ESM (package.json is "type": "module"); npm packages stay external (native modules load
//   from node_modules; electron-builder unpacks them from the asar).
// - preload.cjs: CommonJS, everything inlined but `electron` (a sandboxed preload cannot load modules).
// - <name>-worker.mjs: one file per main/**/*-worker.ts (source-relative URLs: scripts/bundle-layout.mjs),
//   except the services' own:
// - services-process.mjs: main/app/service-host/services-worker.ts, the entry of the services' utility
//   process (main/electron/service-process.ts). Built like main.js (npm packages external, kept in the
//   asar), since it loads what main.js used to: sharp, onnxruntime, TensorFlow.js.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { NATIVE, REQUIRE_BANNER, ROOT, bundleLayout, findWorkers } from './bundle-layout.mjs';

const OUT = join(ROOT, 'dist', 'electron');

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
  plugins: [bundleLayout(OUT, { asarWorkers: true })],
};

rmSync(OUT, { recursive: true, force: true });
const SERVICES_ENTRY = join(ROOT, 'main', 'app', 'service-host', 'services-worker.ts');
const workers = findWorkers().filter((file) => file !== SERVICES_ENTRY);

await Promise.all([
  build({
    ...common,
    entryPoints: { main: join(ROOT, 'main', 'electron', 'main.ts') },
    outdir: OUT,
    format: 'esm',
    packages: 'external',
    outExtension: { '.js': '.js' },
    banner: { js: REQUIRE_BANNER },
  }),
  build({
    ...common,
    entryPoints: { 'services-process': SERVICES_ENTRY },
    outdir: OUT,
    format: 'esm',
    packages: 'external',
    outExtension: { '.js': '.mjs' },
    banner: { js: REQUIRE_BANNER },
  }),
  build({
    ...common,
    entryPoints: { preload: join(ROOT, 'preload', 'index.ts') },
    outdir: OUT,
    format: 'cjs',
    platform: 'browser',
    external: ['electron'],
    outExtension: { '.js': '.cjs' },
  }),
  ...workers.map((file) =>
    build({
      ...common,
      entryPoints: { [basename(file, '.ts')]: file },
      outdir: OUT,
      format: 'esm',
      // Workers may be unpacked from the asar, away from node_modules: inline all pure-JS code.
      external: NATIVE,
      outExtension: { '.js': '.mjs' },
      banner: { js: REQUIRE_BANNER },
    }),
  ),
]);

console.log(`built ${relative(ROOT, OUT)}: main.js, services-process.mjs, preload.cjs${workers.map((w) => `, ${basename(w, '.ts')}.mjs`).join('')}`);
