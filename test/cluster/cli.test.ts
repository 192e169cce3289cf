// The cluster, eval and export commands, run as a user runs them (bin/spice-workbench.js in a child process).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { getEmbeddedProject } from '../helpers/embedded-project.ts';
import { makeTempDir } from '../helpers/cifar-subset.ts';
import { REPO_DIR } from '../helpers/paths.ts';
import { main } from '../../main/cli/index.ts';

let projectDir: string;
let cleanup: () => void;
let out: { dir: string; cleanup(): void };

function cli(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(REPO_DIR, 'bin/spice-workbench.js'), ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

before(async () => {
  const source = await getEmbeddedProject({ perClass: 30 });
  const copy = source.copy();
  copy.project.close(); // the CLI opens it itself
  projectDir = copy.dir;
  cleanup = copy.cleanup;
  out = makeTempDir('spice-cli-');
});
after(() => {
  cleanup();
  out.cleanup();
});

test('cluster --method kmeans stores a run and prints its scores', () => {
  const r = cli('cluster', '--project', projectDir, '--method', 'kmeans', '--k', '10', '--seed', '3', '--restarts', '3');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /run 1: kmeans, k=10, done/);
  assert.match(r.stdout, /ACC \d+\.\d+\s+NMI \d+\.\d+\s+ARI -?\d+\.\d+/);
  assert.match(r.stderr, /cluster: started/);
});

test('cluster with a k range scans, proposes a k and clusters at it', () => {
  const r = cli('cluster', '--project', projectDir, '--method', 'kmeans', '--k', '6..9', '--restarts', '2', '--json');
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout) as { scan: { proposedK: number; rows: unknown[] }; run: number; k: number };
  assert.equal(doc.scan.rows.length, 4);
  assert.equal(doc.k, doc.scan.proposedK);
  const only = cli('cluster', '--project', projectDir, '--method', 'kmeans', '--k', '6..7', '--restarts', '1', '--scan-only');
  assert.equal(only.code, 0, only.stderr);
  assert.match(only.stdout, /proposed k = [67]/);
});

test('eval --json prints exactly one JSON array with one object per run', () => {
  const r = cli('eval', '--project', projectDir, '--json');
  assert.equal(r.code, 0, r.stderr);
  const rows = JSON.parse(r.stdout) as Array<Record<string, unknown>>;
  assert.ok(Array.isArray(rows));
  assert.equal(rows.length, 2);
  for (const row of rows) {
    assert.deepEqual(Object.keys(row), ['run', 'method', 'k', 'acc', 'nmi', 'ari']);
    assert.equal(row.method, 'kmeans');
    for (const m of ['acc', 'nmi', 'ari'] as const) assert.equal(typeof row[m], 'number');
  }
  assert.equal(rows[0].run, 1);
  assert.equal(rows[0].k, 10);
  const one = JSON.parse(cli('eval', '--project', projectDir, '--run', '2', '--json').stdout) as unknown[];
  assert.equal(one.length, 1);
  const table = cli('eval', '--project', projectDir);
  assert.match(table.stdout, /^run\s+method\s+k\s+ACC\s+NMI\s+ARI/);
});

test('export --format csv writes the default run', () => {
  const file = join(out.dir, 'labels.csv');
  const r = cli('export', '--project', projectDir, '--format', 'csv', '--out', file);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^run 2: 300 images/);
  const lines = readFileSync(file, 'utf8').trim().split('\n');
  assert.equal(lines[0], 'path,class,cluster,confidence,source');
  assert.equal(lines.length, 301);
  // No cluster is named yet and no person label: every class is empty and comes from the model.
  assert.ok(
    lines.slice(1).every((l) => /^[^,]+\.jpg,,\d+,[0-9.e-]+,model$/.test(l)),
    lines[1],
  );
});

/** Runs the CLI in this process (cheap: no tsx start-up), capturing what it prints. */
async function cliInProcess(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = console.log;
  const error = console.error;
  console.log = (...a: unknown[]) => void out.push(a.join(' '));
  console.error = (...a: unknown[]) => void err.push(a.join(' '));
  try {
    const code = await main(args);
    return { code, stdout: out.join('\n'), stderr: err.join('\n') };
  } finally {
    console.log = log;
    console.error = error;
  }
}

test('clear errors for bad input', async () => {
  const missing = await cliInProcess('eval', '--project', join(out.dir, 'nothing-here'));
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /no project at/);
  assert.equal(existsSync(join(out.dir, 'nothing-here')), false, 'a typo does not create a project');
  const badK = await cliInProcess('cluster', '--project', projectDir, '--method', 'kmeans', '--k', 'ten');
  assert.equal(badK.code, 2);
  assert.match(badK.stderr, /range like 5\.\.30/);
  const bigK = await cliInProcess('cluster', '--project', projectDir, '--method', 'kmeans', '--k', '400');
  assert.equal(bigK.code, 1);
  assert.match(bigK.stderr, /more than the 300 embedded images/);
  const badMethod = await cliInProcess('cluster', '--project', projectDir, '--method', 'dbscan', '--k', '5');
  assert.equal(badMethod.code, 2);
  const badFormat = await cliInProcess('export', '--project', projectDir, '--format', 'xml', '--out', 'x');
  assert.equal(badFormat.code, 2);
  const noOut = await cliInProcess('export', '--project', projectDir, '--format', 'csv');
  assert.equal(noOut.code, 2);
  assert.match(noOut.stderr, /--out is required/);
  const badRun = await cliInProcess('eval', '--project', projectDir, '--run', '99');
  assert.equal(badRun.code, 1);
  assert.match(badRun.stderr, /no run 99/);
  const badBackbone = await cliInProcess('cluster', '--project', projectDir, '--method', 'kmeans', '--k', '5', '--backbone', 'resnet-9000');
  assert.equal(badBackbone.code, 1);
  assert.match(badBackbone.stderr, /no backbone 'resnet-9000'/);
});
