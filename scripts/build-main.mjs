#!/usr/bin/env node
// Bundles the Electron main process, the sandboxed preload and the worker threads into dist/electron/.
// Usage: npm run build:main
//
// - main.js: ESM (package.json is "type": "module"); npm packages stay external (native modules load
//   from node_modules; electron-builder unpacks them from the asar).
// - preload.cjs: CommonJS, everything inlined but `electron` (a sandboxed preload cannot load modules).
// - <name>-worker.mjs: one file per main/**/*-worker.ts. In sources a worker is started as
//   new URL('./x-worker.ts', import.meta.url); inside the bundle import.meta.url is main.js, so those
//   references are rewritten to './x-worker.mjs' beside it. Likewise import(new URL('<rel>.ts',
//   import.meta.url).href), a lazily loaded stage, becomes a plain import() that esbuild can follow.
import { build } from 'esbuild';
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUT = join(ROOT, 'dist', 'electron');
// Native modules must stay outside any bundle (workers included).
const NATIVE = ['better-sqlite3', 'onnxruntime-node', 'sharp', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu'];

function findWorkers(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...findWorkers(p));
    else if (name.endsWith('-worker.ts')) out.push(p);
  }
  return out;
}

const WORKER_URL = /new URL\((['"])(?:\.{1,2}\/)+(?:[\w.-]+\/)*([\w.-]+-worker)\.ts\1,\s*import\.meta\.url\)/g;
const LAZY_IMPORT = /import\(\s*new URL\((['"])(\.{1,2}\/[^'"]+\.ts)\1,\s*import\.meta\.url\)\.href\s*\)/g;

/** Rewrites source-relative worker URLs and lazy imports for the flat bundle layout. */
const bundleLayout = {
  name: 'bundle-layout',
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      if (!source.includes('import.meta.url')) return undefined;
      const contents = source
        // Workers are unpacked from the asar (see electron-builder.yml): start them from the real file.
        .replace(WORKER_URL, (_m, q, name) => `new URL(${q}./${name}.mjs${q}, import.meta.url.replace('/app.asar/', '/app.asar.unpacked/'))`)
        .replace(LAZY_IMPORT, (_m, q, rel) => `import(${q}${rel}${q})`);
      return { contents, loader: 'ts' };
    });
  },
};

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
  plugins: [bundleLayout],
};

rmSync(OUT, { recursive: true, force: true });
const workers = findWorkers(join(ROOT, 'main'));

await Promise.all([
  build({
    ...common,
    entryPoints: { main: join(ROOT, 'main', 'electron', 'main.ts') },
    outdir: OUT,
    format: 'esm',
    packages: 'external',
    outExtension: { '.js': '.js' },
    // ESM output has no require(); some dependencies are CommonJS and are imported through it.
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
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
      banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
    }),
  ),
]);

console.log(`built ${relative(ROOT, OUT)}: main.js, preload.cjs${workers.map((w) => `, ${basename(w, '.ts')}.mjs`).join('')}`);
