#!/usr/bin/env node
// Bundles the command line (main/cli/) and its worker threads into dist/cli/ with esbuild, so
// `spice-workbench` starts from plain JavaScript; tsx is needed only to run changed sources in
// development. Runs by itself after `npm ci` (the prepare script) and in `npm run build`.
// Usage: npm run build:cli
//
// dist/cli/sources.json lists every source file in the bundle with its size and modification time:
// bin/spice-workbench.js runs the bundle only while they all match, else the sources through tsx.
import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { REQUIRE_BANNER, ROOT, bundleLayout, findWorkers } from './bundle-layout.mjs';

const OUT = join(ROOT, 'dist', 'cli');

let build;
try {
  ({ build } = await import('esbuild'));
} catch {
  // An install without development dependencies: the command line then needs them anyway (tsx).
  console.error('build:cli: esbuild is not installed (a development dependency); the command line is not bundled');
  process.exit(process.env.npm_lifecycle_event === 'prepare' ? 0 : 1);
}

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  // npm packages load from node_modules at run time, as they do for the sources.
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
  metafile: true,
  outdir: OUT,
  outExtension: { '.js': '.mjs' },
  banner: { js: REQUIRE_BANNER },
  plugins: [bundleLayout(OUT)],
};

const t0 = performance.now();
rmSync(OUT, { recursive: true, force: true });
const workers = findWorkers();
const results = await Promise.all([
  build({ ...common, entryPoints: { cli: join(ROOT, 'main', 'cli', 'index.ts') } }),
  ...workers.map((file) => build({ ...common, entryPoints: { [basename(file, '.ts')]: file } })),
]);

const files = {};
for (const r of results) {
  for (const input of Object.keys(r.metafile.inputs)) {
    const rel = relative(ROOT, resolve(input)).split('\\').join('/');
    const st = statSync(join(ROOT, rel));
    files[rel] = [st.size, st.mtimeMs];
  }
}
mkdirSync(OUT, { recursive: true });
writeFileSync(join(OUT, 'sources.json'), `${JSON.stringify({ files })}\n`);
console.log(
  `built ${relative(ROOT, OUT)}: cli.mjs${workers.map((w) => `, ${basename(w, '.ts')}.mjs`).join('')} from ${Object.keys(files).length} sources in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
);
