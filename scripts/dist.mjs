#!/usr/bin/env node
// `npm run dist`: builds the installers (electron-builder.yml; AppImage and deb on Linux, dmg on macOS,
// nsis on Windows) into release/. electron-builder rebuilds better-sqlite3 for Electron inside
// node_modules while packaging; this builds it back for Node afterwards, so the CLI and `npm test`
// work right after a dist, failed or not. Needs Node 22.12+ (electron-builder's tools).
// Usage: npm run dist [-- <electron-builder options>]
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { buildNativeForNode } from './native-modules.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const shell = process.platform === 'win32';
const run = (cmd, args) => spawnSync(cmd, args, { cwd: ROOT, stdio: 'inherit', shell }).status ?? 1;

if (run('npm', ['run', 'build']) !== 0) process.exit(1);
let code = 1;
// Ctrl-C reaches electron-builder too; this process outlives it to build better-sqlite3 back.
const interrupted = () => (code = 130);
process.on('SIGINT', interrupted);
try {
  const status = run('npx', ['electron-builder', '--publish', 'never', ...process.argv.slice(2)]);
  if (code !== 130) code = status;
} finally {
  if (!buildNativeForNode()) {
    console.error('warning: rebuilding better-sqlite3 for Node failed; run npm run rebuild:node');
    code ||= 1;
  }
}
process.exit(code);
