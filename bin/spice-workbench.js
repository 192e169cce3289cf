#!/usr/bin/env node
// The command line starts from its esbuild bundle (dist/cli/, made by `npm run build:cli`, which
// `npm ci` runs as the prepare script). Where a source file changed since the bundle was made (a
// checkout in development), it runs the TypeScript sources through tsx instead, so it never runs stale code.
import { readFileSync, statSync } from 'node:fs';

const ROOT = new URL('../', import.meta.url);

/** True when every source the bundle was made from is unchanged (size and modification time). */
function bundleIsCurrent() {
  if (process.env.SPICE_CLI_FROM_SOURCES === '1') return false;
  let files;
  try {
    ({ files } = JSON.parse(readFileSync(new URL('dist/cli/sources.json', ROOT), 'utf8')));
  } catch {
    return false;
  }
  for (const [rel, [size, mtimeMs]] of Object.entries(files)) {
    try {
      const st = statSync(new URL(rel, ROOT));
      if (st.size !== size || st.mtimeMs !== mtimeMs) return false;
    } catch {
      return false;
    }
  }
  return true;
}

let main;
if (bundleIsCurrent()) {
  ({ main } = await import(new URL('dist/cli/cli.mjs', ROOT).href));
} else {
  let register;
  try {
    ({ register } = await import('tsx/esm/api'));
  } catch {
    console.error(
      'spice-workbench: the command-line bundle is missing or older than the sources, and tsx (a development dependency) is not installed: run npm run build:cli',
    );
    process.exit(1);
  }
  register();
  ({ main } = await import('../main/cli/index.ts'));
}
process.exitCode = await main(process.argv.slice(2));
