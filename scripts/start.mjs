#!/usr/bin/env node
// `npm start`: the desktop app where Electron can run, else browser mode (the same app in a browser).
// Usage: npm start [-- --browser] [-- --project <dir>]
//
// Electron needs its own build of better-sqlite3 (it is not N-API), so the desktop path rebuilds it for
// Electron before starting and for Node again afterwards (scripts/native-modules.mjs).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { electronPackageDir, installedElectronBinary } from './electron-binary.mjs';
import { withNativeForElectron } from './native-modules.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const wantBrowser = args.includes('--browser');
const passThrough = args.filter((a) => a !== '--browser');

function run(cmd, cmdArgs, options = {}) {
  const res = spawnSync(cmd, cmdArgs, { cwd: ROOT, stdio: 'inherit', ...options });
  return res.status ?? 1;
}

/** Why Electron cannot run here, or null when it can. */
function electronProblem() {
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) return 'no display (DISPLAY/WAYLAND_DISPLAY unset)';
  const dir = electronPackageDir();
  if (!dir) return 'the electron package is not installed';
  if (installedElectronBinary()) return null;
  // The binary is fetched on first use; offline this fails quickly and we fall back to the browser.
  const fetched = spawnSync(process.execPath, [join(dir, 'install.js')], { cwd: ROOT, stdio: 'inherit', timeout: 300_000 });
  return fetched.status === 0 && installedElectronBinary() ? null : 'the Electron binary could not be downloaded';
}

const problem = wantBrowser ? 'browser mode was asked for' : electronProblem();
if (problem) {
  console.error(`Starting browser mode: ${problem}.`);
  process.exit(run(process.execPath, [join(ROOT, 'bin/spice-workbench.js'), 'serve', ...passThrough]));
}

if (run('npm', ['run', 'build']) !== 0) process.exit(1);
process.exit(await withNativeForElectron(() => run('npx', ['electron', '.', ...passThrough])));
