#!/usr/bin/env node
// `npm run test:electron`: the real desktop app under Playwright's Electron support
// (test/electron/desktop.electron.ts): the window opens on a clustered project, a contract call
// round-trips over IPC, an image loads through the spice-img:// protocol, navigation and new windows
// are refused. Where it cannot run (no Electron binary, Node older than Electron's build tools need,
// no display and no xvfb-run) it prints one line saying why and exits 0.
// Usage: npm run test:electron
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { installedElectronBinary } from './electron-binary.mjs';
import { withNativeForElectron } from './native-modules.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const shell = process.platform === 'win32';
const skip = (why) => {
  console.log(`test:electron skipped: ${why}`);
  process.exit(0);
};

const binary = installedElectronBinary();
if (!binary) skip('the Electron binary is not installed (npx install-electron fetches it; npm ci does not)');
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 12)) skip(`Node ${process.versions.node}: rebuilding better-sqlite3 for Electron (@electron/rebuild) needs Node 22.12+`);
if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
  if (process.env.SPICE_UNDER_XVFB === '1') skip('no display, even under xvfb-run');
  const xvfb = spawnSync('xvfb-run', ['--help'], { stdio: 'ignore' });
  if (xvfb.error) skip('no display (DISPLAY/WAYLAND_DISPLAY unset) and no xvfb-run (apt-get install xvfb)');
  const res = spawnSync('xvfb-run', ['-a', process.execPath, fileURLToPath(import.meta.url)], { stdio: 'inherit', env: { ...process.env, SPICE_UNDER_XVFB: '1' } });
  process.exit(res.status ?? 1);
}

const run = (cmd, args, env = {}) => spawnSync(cmd, args, { cwd: ROOT, stdio: 'inherit', shell, env: { ...process.env, ...env } }).status ?? 1;
const cli = (...args) => run(process.execPath, [join(ROOT, 'bin/spice-workbench.js'), ...args]);

// 1. A clustered project, made with Node's build of better-sqlite3 (20 shipped demo images per class).
const work = mkdtempSync(join(tmpdir(), 'spice-electron-fixture-'));
let code = 1;
try {
  const images = join(work, 'images');
  const demo = join(ROOT, 'data', 'cifar10-demo');
  for (const cls of readdirSync(demo)) {
    mkdirSync(join(images, cls), { recursive: true });
    for (const f of readdirSync(join(demo, cls)).sort().slice(0, 20)) cpSync(join(demo, cls, f), join(images, cls, f));
  }
  const project = join(work, 'project');
  if (
    cli('import', images, '--project', project, '--labels-from-folders') !== 0 ||
    cli('embed', '--project', project, '--model', 'mobilenet_v1_imagenet', '--size', '64') !== 0 ||
    cli('cluster', '--project', project, '--method', 'kmeans', '--k', '10') !== 0
  ) {
    throw new Error('preparing the test project failed');
  }
  // 2. The app as it is packaged: renderer, main process and preload bundles.
  if (run('npm', ['run', 'build']) !== 0) throw new Error('npm run build failed');
  // 3. The test, with better-sqlite3 built for Electron meanwhile and for Node again afterwards.
  code = await withNativeForElectron(() =>
    run(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', 'test/electron/desktop.electron.ts'], {
      SPICE_ELECTRON_BINARY: binary,
      SPICE_ELECTRON_PROJECT: project,
    }),
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
process.exit(code);
