import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { openDatabase } from '../../main/db/connection.ts';
import { JobRunner, JobCancelledError } from '../../main/jobs/runner.ts';
import type { JobEvent } from '../../preload/contract/jobs.ts';
import { makeTempDir } from '../helpers/cifar-subset.ts';

test('a job reports rising progress that ends at its total, and is recorded as done', async (t) => {
  const tmp = makeTempDir();
  t.after(tmp.cleanup);
  const db = openDatabase(join(tmp.dir, 'p.sqlite'));
  const runner = new JobRunner(db);
  const events: JobEvent[] = [];
  runner.onEvent((e) => events.push(e));
  const result = await runner.run('import', { folder: 'x' }, async (ctx) => {
    ctx.stage('files', 50, 'files');
    for (let i = 1; i <= 50; i++) {
      await new Promise((r) => setTimeout(r, 2));
      ctx.progress(i);
    }
    return 'ok';
  });
  assert.equal(result, 'ok');
  const done = events.flatMap((e) => (e.type === 'progress' ? [e.progress.done] : []));
  assert.ok(done.length >= 2);
  for (let i = 1; i < done.length; i++) assert.ok(done[i] >= done[i - 1], 'progress never goes back');
  assert.equal(done.at(-1), 50);
  const last = events.at(-1);
  assert.equal(last?.type, 'finished');
  assert.equal(last?.type === 'finished' && last.state, 'done');
  const row = db.prepare('SELECT state, done, total FROM jobs').get() as { state: string; done: number; total: number };
  assert.deepEqual(row, { state: 'done', done: 50, total: 50 });
  db.close();
});

test('cancelling a job stops it and records it as cancelled; a rerun links to it', async (t) => {
  const tmp = makeTempDir();
  t.after(tmp.cleanup);
  const db = openDatabase(join(tmp.dir, 'p.sqlite'));
  const runner = new JobRunner(db);
  let jobId = 0;
  const running = runner.run('embed', { model: 'm' }, async (ctx) => {
    jobId = ctx.jobId;
    ctx.stage('images', 1000);
    for (let i = 0; i < 1000; i++) {
      ctx.throwIfCancelled();
      await new Promise((r) => setTimeout(r, 1));
      ctx.progress(i + 1);
    }
  });
  setTimeout(() => runner.cancel(jobId), 30);
  await assert.rejects(running, JobCancelledError);
  const row = db.prepare('SELECT state, done FROM jobs WHERE id = ?').get(jobId) as { state: string; done: number };
  assert.equal(row.state, 'cancelled');
  assert.ok(row.done < 1000);
  await runner.run('embed', { model: 'm' }, async (ctx) => assert.equal(ctx.resumedFrom, jobId));
  db.close();
});

test('a job left running by a dead process is marked interrupted when the project is reopened', (t) => {
  const tmp = makeTempDir();
  t.after(tmp.cleanup);
  const db = openDatabase(join(tmp.dir, 'p.sqlite'));
  // A pid far above pid_max: no such process exists.
  db.prepare(`INSERT INTO jobs (kind, params, state, pid, started_at, updated_at) VALUES ('import', '{}', 'running', 99999999, 0, 0)`).run();
  new JobRunner(db);
  const row = db.prepare('SELECT state FROM jobs').get() as { state: string };
  assert.equal(row.state, 'interrupted');
  db.close();
});
