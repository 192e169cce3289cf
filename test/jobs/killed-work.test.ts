// Work whose process was killed is never shown as live or as done: a `cluster` killed mid-run leaves
// a run and a job that the next open marks 'interrupted'; `status` says so and `export` refuses the
// run. A job whose pid now belongs to another process (pids are reused) is not taken for alive.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openProject } from '../../main/project/project.ts';
import { openDatabase } from '../../main/db/connection.ts';
import { JobRunner } from '../../main/jobs/runner.ts';
import { processStart } from '../../main/base/process-identity.ts';
import { getRun } from '../../main/db/runs-repo.ts';
import { makeTempDir } from '../helpers/cifar-subset.ts';
import { getEmbeddedProject } from '../helpers/embedded-project.ts';
import { REPO_DIR } from '../helpers/paths.ts';

const BIN = join(REPO_DIR, 'bin/spice-workbench.js');

let projectDir = '';
let cleanup: (() => void) | undefined;
let out: ReturnType<typeof makeTempDir>;

function cli(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

before(async () => {
  const source = await getEmbeddedProject();
  const copy = source.copy();
  copy.project.close();
  projectDir = copy.dir;
  cleanup = copy.cleanup;
  out = makeTempDir('spice-killed-');
});

after(() => {
  cleanup?.();
  out?.cleanup();
});

/** Polls the database (read-only) until `find` answers, or fails after `ms`. */
async function waitInDb<T>(find: (db: Database.Database) => T | undefined, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const db = new Database(join(projectDir, 'project.sqlite'), { readonly: true, fileMustExist: true });
    try {
      const found = find(db);
      if (found !== undefined) return found;
    } catch {
      // the writer may be mid-migration; look again
    } finally {
      db.close();
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('timed out waiting for the database');
}

test('a cluster killed mid-run is shown as interrupted, and export refuses its run', async () => {
  // Many restarts: the run row exists for seconds before it could finish.
  const child = spawn(process.execPath, [BIN, 'cluster', '--project', projectDir, '--method', 'kmeans', '--k', '10', '--restarts', '100000'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const runId = await waitInDb((db) => db.prepare(`SELECT id FROM runs WHERE state = 'running'`).pluck().get() as number | undefined);
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  assert.equal(child.signalCode, 'SIGKILL', stderr);

  const status = cli('status', '--project', projectDir, '--json');
  assert.equal(status.code, 0, status.stderr);
  const s = JSON.parse(status.stdout) as { runs: Array<{ id: number; state: string }>; interruptedJobs: Array<{ kind: string }> };
  assert.equal(s.runs.find((r) => r.id === runId)?.state, 'interrupted');
  assert.ok(
    s.interruptedJobs.some((j) => j.kind === 'cluster'),
    JSON.stringify(s.interruptedJobs),
  );
  const text = cli('status', '--project', projectDir);
  assert.match(text.stdout, new RegExp(`#${runId} kmeans k=10 interrupted`));

  const named = cli('export', '--project', projectDir, '--run', String(runId), '--format', 'csv', '--out', join(out.dir, 'named.csv'));
  assert.equal(named.code, 1);
  assert.match(named.stderr, new RegExp(`^error: run ${runId} is interrupted, not finished`));
  assert.ok(!existsSync(join(out.dir, 'named.csv')));
  // Without --run the killed run is never the default: with no finished run there is nothing to export.
  const unnamed = cli('export', '--project', projectDir, '--format', 'csv', '--out', join(out.dir, 'default.csv'));
  assert.equal(unnamed.code, 1);
  assert.match(unnamed.stderr, /no finished clustering run/);
  assert.ok(!existsSync(join(out.dir, 'default.csv')));

  // A finished run afterwards is the one export takes.
  const done = cli('cluster', '--project', projectDir, '--method', 'kmeans', '--k', '10', '--restarts', '2');
  assert.equal(done.code, 0, done.stderr);
  const exported = cli('export', '--project', projectDir, '--format', 'csv', '--out', join(out.dir, 'default.csv'));
  assert.equal(exported.code, 0, exported.stderr);
  assert.match(exported.stdout, /^run (\d+):/);
  assert.notEqual(Number(/^run (\d+):/.exec(exported.stdout)![1]), runId);
});

test(
  'a job whose pid now belongs to another process is marked interrupted; a live one is left alone',
  { skip: process.platform !== 'linux' ? 'needs /proc' : false },
  (t) => {
    const tmp = makeTempDir();
    t.after(tmp.cleanup);
    const db = openDatabase(join(tmp.dir, 'p.sqlite'));
    const insert = db.prepare(
      `INSERT INTO jobs (kind, params, state, pid, process_start, host, started_at, updated_at) VALUES ('embed', '{}', 'running', ?, ?, ?, 0, 0)`,
    );
    // Our parent is alive, but it is not the process that started this job (another start time).
    const reused = Number(insert.run(process.ppid, '1', hostname()).lastInsertRowid);
    // The parent as it really is: alive, same start time.
    const live = Number(insert.run(process.ppid, processStart(process.ppid), hostname()).lastInsertRowid);
    // Recorded on another machine: its process cannot be running against this file.
    const elsewhere = Number(insert.run(process.ppid, processStart(process.ppid), 'another-machine').lastInsertRowid);
    new JobRunner(db);
    const state = (id: number) => db.prepare('SELECT state FROM jobs WHERE id = ?').pluck().get(id);
    assert.equal(state(reused), 'interrupted');
    assert.equal(state(live), 'running');
    assert.equal(state(elsewhere), 'interrupted');
    db.close();
  },
);

test('opening a project marks the runs of dead jobs interrupted, not failed', () => {
  const project = openProject(projectDir);
  const db = project.db;
  const now = Date.now();
  const backboneId = db.prepare('SELECT id FROM backbones LIMIT 1').pluck().get() as number;
  const deadJob = Number(
    db.prepare(`INSERT INTO jobs (kind, params, state, pid, started_at, updated_at) VALUES ('cluster', '{"x":1}', 'running', 99999999, ?, ?)`).run(now, now)
      .lastInsertRowid,
  );
  const deadRun = Number(
    db
      .prepare(`INSERT INTO runs (method, backbone_id, k, seed, params, state, job_id, created_at) VALUES ('kmeans', ?, 2, 0, '{}', 'running', ?, ?)`)
      .run(backboneId, deadJob, now).lastInsertRowid,
  );
  project.close();
  const again = openProject(projectDir);
  try {
    assert.equal(getRun(again.db, deadRun)?.state, 'interrupted');
    assert.equal(again.db.prepare('SELECT state FROM jobs WHERE id = ?').pluck().get(deadJob), 'interrupted');
  } finally {
    again.close();
  }
});
