#!/usr/bin/env node
// `npm start`: the desktop app where Electron can run, else browser mode (the same app in a browser).
// Usage: npm start [-- --browser] [-- --project <dir>]
//
// Electron needs its own build of better-sqlite3 (it is not N-API), so the desktop path rebuilds it for
// Electron before starting and for Node again afterwards, keeping the CLI and `npm test` working.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(import.meta.url);
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
  let dir;
  try {
    dir = dirname(require.resolve('electron/package.json'));
  } catch {
    return 'the electron package is not installed';
  }
  const pathFile = join(dir, 'path.txt');
  if (existsSync(pathFile) && existsSync(join(dir, 'dist', readFileSync(pathFile, 'utf8').trim()))) return null;
  // The binary is fetched on first use; offline this fails quickly and we fall back to the browser.
  const fetched = spawnSync(process.execPath, [join(dir, 'install.js')], { cwd: ROOT, stdio: 'inherit', timeout: 300_000 });
  return fetched.status === 0 ? null : 'the Electron binary could not be downloaded';
}

const problem = wantBrowser ? 'browser mode was asked for' : electronProblem();
if (problem) {
  console.error(`Starting browser mode: ${problem}.`);
  process.exit(run(process.execPath, [join(ROOT, 'bin/spice-workbench.js'), 'serve', ...passThrough]));
}

if (run('npm', ['run', 'build']) !== 0) process.exit(1);
if (run('npx', ['electron-builder', 'install-app-deps']) !== 0) process.exit(1);
const code = run('npx', ['electron', '.', ...passThrough]);
console.error('Rebuilding better-sqlite3 for Node so the CLI and the tests keep working...');
run('npm', ['rebuild', 'better-sqlite3']);
process.exit(code);
