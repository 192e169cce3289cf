#!/usr/bin/env node
// Runs test/**/*.test.ts with Node's test runner (through tsx), so one runner prints one summary, and
// its last line stays the runner's own summary.
// Usage: npm test [-- [--lane embedded|shared] <substring filter on file paths>...]
//
// Two lanes:
// - embedded: everything outside test/shared/. Needs only what the repository ships (the demo images in
//   data/, the default backbone in models/), so it passes on a fresh clone.
// - shared: test/shared/, which needs ../shared (the 10,000 CIFAR-10 test images, MobileNet v2). Without
//   it those tests are skipped with the reason; SPICE_REQUIRE_SHARED=1 (CI beside ../shared) fails instead.
//
// Every test runs on the same backends on every machine, so the bit-exact checks hold on a machine with
// tfjs-node-gpu or onnxruntime's CUDA provider too: TensorFlow.js on WebAssembly, onnxruntime on the CPU.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SHARED_LANE_DIR = 'test/shared/';
const PINNED = { SPICE_TF_BACKEND: 'wasm', SPICE_ORT_PROVIDER: 'cpu' };

function find(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...find(p));
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

function parseArgs(argv) {
  let lane = 'all';
  const filters = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--lane' || a.startsWith('--lane=')) {
      lane = a.includes('=') ? a.slice('--lane='.length) : argv[++i];
      if (!['embedded', 'shared', 'all'].includes(lane)) {
        console.error(`--lane must be embedded, shared or all, got ${lane}`);
        process.exit(2);
      }
    } else filters.push(a);
  }
  return { lane, filters };
}

const { lane, filters } = parseArgs(process.argv.slice(2));
process.chdir(ROOT);
const files = find('test')
  .map((f) => relative('.', f).split('\\').join('/'))
  .filter((f) => lane === 'all' || (lane === 'shared') === f.startsWith(SHARED_LANE_DIR))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
if (files.length === 0) {
  console.error(`no test files matched (lane ${lane}${filters.length ? `, filters ${filters.join(' ')}` : ''})`);
  process.exit(1);
}

// The same folder main/models/registry.ts calls the shared data folder.
const sharedDir = resolve(process.env.SPICE_SHARED_DIR || join(ROOT, '..', 'shared'));
const sharedFiles = files.filter((f) => f.startsWith(SHARED_LANE_DIR));
const required = process.env.SPICE_REQUIRE_SHARED === '1';
if (sharedFiles.length > 0) {
  if (existsSync(sharedDir)) console.log(`shared lane: ${sharedFiles.length} test files run on ${sharedDir}`);
  else if (required) {
    console.error(`shared lane: SPICE_REQUIRE_SHARED=1 but ${sharedDir} does not exist`);
    process.exit(1);
  } else {
    console.log(
      `shared lane skipped: ${sharedDir} does not exist (a fresh clone has no ../shared; it holds the 10,000 CIFAR-10 test images and MobileNet v2). ` +
        `Skipped: ${sharedFiles.join(', ')}`,
    );
  }
}
console.log(`backends pinned for every test: TensorFlow.js ${PINNED.SPICE_TF_BACKEND}, onnxruntime ${PINNED.SPICE_ORT_PROVIDER}`);

const tallyDir = mkdtempSync(join(tmpdir(), 'spice-test-tally-'));
const tallyFile = join(tallyDir, 'tally.json');
// Tests share two cores and real models: run files one at a time so timings and memory stay sane.
const res = spawnSync(
  process.execPath,
  [
    '--import',
    'tsx',
    '--test',
    '--test-concurrency=1',
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    `--test-reporter=${join(ROOT, 'scripts/test-tally-reporter.mjs')}`,
    `--test-reporter-destination=${tallyFile}`,
    ...files,
  ],
  { stdio: 'inherit', env: { ...process.env, ...PINNED } },
);

let tally = null;
try {
  tally = JSON.parse(readFileSync(tallyFile, 'utf8'));
} catch {
  // The runner died before its reporters finished; its exit status says so.
}
rmSync(tallyDir, { recursive: true, force: true });
if (res.status !== 0 || tally === null) process.exit(res.status || 1);
if (tally.ran === 0) {
  console.error('no test ran: every selected test was skipped, so this run proves nothing');
  process.exit(1);
}
const skippedShared = tally.skipped.filter(
  (s) =>
    s.file &&
    relative(ROOT, s.file.startsWith('file:') ? fileURLToPath(s.file) : s.file)
      .split('\\')
      .join('/')
      .startsWith(SHARED_LANE_DIR),
);
if (required && skippedShared.length > 0) {
  console.error(`SPICE_REQUIRE_SHARED=1 but the shared lane skipped: ${skippedShared.map((s) => `${s.name} (${s.reason})`).join('; ')}`);
  process.exit(1);
}
process.exit(0);
