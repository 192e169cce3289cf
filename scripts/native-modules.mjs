// better-sqlite3 is the one native module built per runtime ABI (onnxruntime-node and sharp are N-API):
// the desktop app needs it built for Electron, the CLI, the bridge and `npm test` for Node. The scripts
// that run Electron (start, test:electron, dist) build it for Electron and always build it back.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const shell = process.platform === 'win32';

function run(cmd, args) {
  return spawnSync(cmd, args, { cwd: ROOT, stdio: 'inherit', shell }).status ?? 1;
}

/** Rebuilds the native modules for the installed Electron (electron-builder install-app-deps). */
export function buildNativeForElectron() {
  return run('npx', ['electron-builder', 'install-app-deps']) === 0;
}

/** Rebuilds better-sqlite3 for the Node running this script. */
export function buildNativeForNode() {
  console.error('Rebuilding better-sqlite3 for Node so the CLI and the tests keep working...');
  return run('npm', ['rebuild', 'better-sqlite3']) === 0;
}

/**
 * Runs `work` (sync or async, returns an exit code) with better-sqlite3 built for Electron, then
 * rebuilds it for Node whatever happened (an error, a failed build, Ctrl-C).
 */
export async function withNativeForElectron(work) {
  let restored = false;
  const restore = () => {
    if (restored) return;
    restored = true;
    if (!buildNativeForNode()) console.error('warning: rebuilding better-sqlite3 for Node failed; run npm run rebuild:node');
  };
  const onSignal = (signal) => {
    restore();
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    if (!buildNativeForElectron()) return 1;
    return await work();
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    restore();
  }
}
