// What the esbuild bundles of the TypeScript sources (scripts/build-main.mjs for Electron,
// scripts/build-cli.mjs for the command line) share: the worker entry points and a plugin that keeps
// source-relative URLs working from the flat bundle folder.
//
// In the sources a worker is started as new URL('./x-worker.ts', import.meta.url); inside a bundle
// import.meta.url is the bundle, so those references become './x-worker.mjs' beside it. Any other
// new URL('<rel>', import.meta.url) (the repository root, dist/renderer) is re-pointed from the bundle's
// folder to the same place. Modules import each other with ordinary static imports, which esbuild follows.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** Native modules stay outside every bundle (workers included). */
export const NATIVE = ['better-sqlite3', 'onnxruntime-node', 'sharp', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu'];
/** ESM output has no require(); some dependencies are CommonJS and are imported through it. */
export const REQUIRE_BANNER = "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);";

/** Every main/**\/*-worker.ts. */
export function findWorkers(dir = join(ROOT, 'main')) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...findWorkers(p));
    else if (name.endsWith('-worker.ts')) out.push(p);
  }
  return out;
}

const WORKER_URL = /new URL\((['"])(?:\.{1,2}\/)+(?:[\w.-]+\/)*([\w.-]+-worker)\.ts\1,\s*import\.meta\.url\)/g;
const RELATIVE_URL = /new URL\((['"])(\.{1,2}(?:\/[^'"]*)?)\1,\s*import\.meta\.url\)/g;

/**
 * The esbuild plugin for bundles written to `outDir`. `asarWorkers`: workers are unpacked from
 * Electron's asar, so start them from app.asar.unpacked (harmless outside an asar).
 */
export function bundleLayout(outDir, { asarWorkers = false } = {}) {
  return {
    name: 'bundle-layout',
    setup(b) {
      // tfjs-core's gradient definitions are ES modules with extensionless imports, which Node cannot
      // load from node_modules (main/ml/tf-gradients.ts): inline them even where packages stay external.
      const requireFromRoot = createRequire(join(ROOT, 'package.json'));
      b.onResolve({ filter: /^@tensorflow\/tfjs-core\/dist\/gradients\// }, (args) => ({ path: requireFromRoot.resolve(args.path) }));
      b.onLoad({ filter: /\.ts$/ }, (args) => {
        const source = readFileSync(args.path, 'utf8');
        if (!source.includes('import.meta.url')) return undefined;
        const workerBase = asarWorkers ? "import.meta.url.replace('/app.asar/', '/app.asar.unpacked/')" : 'import.meta.url';
        const contents = source
          .replace(WORKER_URL, (_m, q, name) => `new URL(${q}./${name}.mjs${q}, ${workerBase})`)
          .replace(RELATIVE_URL, (m, q, rel) => {
            if (/\.(ts|mjs)$/.test(rel)) return m;
            const target = resolve(dirname(args.path), rel);
            let moved = relative(outDir, target).split(sep).join('/') || '.';
            if (!moved.startsWith('.')) moved = `./${moved}`;
            // new URL('../..', file) names a folder (trailing slash); keep that.
            if (/(^|\/)\.{1,2}$/.test(rel) || rel.endsWith('/')) moved += '/';
            return `new URL(${q}${moved}${q}, import.meta.url)`;
          });
        return { contents, loader: 'ts' };
      });
    },
  };
}
