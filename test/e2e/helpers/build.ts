// Builds the renderer once per test run so the browser tests exercise the current sources.
import { spawnSync } from 'node:child_process';
import { REPO_DIR } from '../../helpers/paths.ts';

let built = false;

export function buildRenderer(): void {
  if (built || process.env.SPICE_E2E_SKIP_BUILD === '1') return;
  const res = spawnSync(process.execPath, ['node_modules/vite/bin/vite.js', 'build', '--config', 'renderer/vite.config.ts', '--logLevel', 'warn'], {
    cwd: REPO_DIR,
    encoding: 'utf8',
  });
  if (res.status !== 0) throw new Error(`renderer build failed:\n${res.stdout}\n${res.stderr}`);
  built = true;
}
