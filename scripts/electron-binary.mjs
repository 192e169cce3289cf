// Where the installed Electron binary is, without fetching it (electron's own index.js downloads a
// missing binary as a side effect of require('electron')). Electron 45 fetches it on first use, not
// at `npm ci`: `npx install-electron` (or a first `npm start`) does.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

/** The electron package's folder, or null when it is not installed. */
export function electronPackageDir() {
  try {
    return dirname(require.resolve('electron/package.json'));
  } catch {
    return null;
  }
}

/** The Electron executable when it is present (ELECTRON_OVERRIDE_DIST_PATH honoured), else null. */
export function installedElectronBinary() {
  const dir = electronPackageDir();
  if (!dir) return null;
  const pathFile = join(dir, 'path.txt');
  const executable = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : null;
  const distDir = process.env.ELECTRON_OVERRIDE_DIST_PATH || join(dir, 'dist');
  const binary = join(distDir, executable ?? (process.platform === 'win32' ? 'electron.exe' : 'electron'));
  return existsSync(binary) ? binary : null;
}
