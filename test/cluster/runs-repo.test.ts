import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Db } from '../../main/db/connection.ts';
import { defaultRun } from '../../main/pipeline/cluster/default-run.ts';
import {
  clusterSizes,
  createRun,
  deleteRun,
  finishRun,
  getRun,
  listRuns,
  loadAssignmentColumns,
  loadAssignments,
  markStaleRuns,
  saveAssignments,
  setReliable,
  updateRunReport,
} from '../../main/db/runs-repo.ts';
import { withSeededDb } from './db-fixture.ts';

const withDb = (fn: (db: Db) => void) => withSeededDb(6, fn);

test('runs-repo: a run round-trips params, assignments (float32 probs), report and timings', () => {
  withDb((db) => {
    const id = createRun(db, { method: 'kmeans', backboneId: 1, k: 3, seed: 7, params: { restarts: 2 } });
    assert.equal(getRun(db, id)!.state, 'running');
    const probs = (a: number, b: number, c: number) => new Float32Array([a, b, c]);
    saveAssignments(db, id, [
      { imageId: 2, cluster: 1, confidence: 0.7, doubt: 0.2, reliable: true, probs: probs(0.1, 0.7, 0.2) },
      { imageId: 1, cluster: 0, confidence: 0.9, doubt: 0.1, reliable: false, probs: probs(0.9, 0.05, 0.05) },
    ]);
    // Saving the same image again replaces it instead of duplicating.
    saveAssignments(db, id, [{ imageId: 2, cluster: 2, confidence: 0.6, doubt: 0.3, reliable: false, probs: probs(0.1, 0.3, 0.6) }]);
    finishRun(db, id, { state: 'done', report: { inertia: 1.5 }, timings: { kmeans: 0.25 } });
    const run = getRun(db, id)!;
    assert.equal(run.method, 'kmeans');
    assert.equal(run.k, 3);
    assert.equal(run.seed, 7);
    assert.deepEqual(run.params, { restarts: 2 });
    assert.deepEqual(run.report, { inertia: 1.5 });
    assert.deepEqual(run.timings, { kmeans: 0.25 });
    assert.equal(run.state, 'done');
    assert.ok(run.finishedAt !== null);
    const rows = loadAssignments(db, id);
    assert.deepEqual(
      rows.map((r) => [r.imageId, r.cluster, r.reliable]),
      [
        [1, 0, false],
        [2, 2, false],
      ],
    );
    assert.ok(rows[1].probs instanceof Float32Array);
    assert.deepEqual([...rows[1].probs], [...probs(0.1, 0.3, 0.6)]);
    const cols = loadAssignmentColumns(db, id);
    assert.deepEqual(cols.imageIds, [1, 2]);
    assert.deepEqual([...cols.clusters], [0, 2]);
    assert.deepEqual(clusterSizes(db, id), [1, 0, 1]);
    setReliable(db, id, [1]);
    assert.deepEqual(
      loadAssignments(db, id).map((r) => r.reliable),
      [true, false],
    );
    updateRunReport(db, id, { note: 'x' });
    assert.deepEqual(getRun(db, id)!.report, { inertia: 1.5, note: 'x' });
  });
});

test('runs-repo: bad rows are refused and nothing of the batch is written', () => {
  withDb((db) => {
    const id = createRun(db, { method: 'spice', backboneId: 1, k: 2, seed: 0, params: {} });
    const ok = { imageId: 1, cluster: 0, confidence: 1, doubt: 0, reliable: false, probs: new Float32Array([1, 0]) };
    assert.throws(() => saveAssignments(db, id, [ok, { ...ok, imageId: 2, cluster: 2 }]), /outside 0\.\.1/);
    assert.throws(() => saveAssignments(db, id, [{ ...ok, probs: new Float32Array(3) }]), /length 3/);
    assert.equal(loadAssignments(db, id).length, 0);
    assert.throws(() => createRun(db, { method: 'dbscan' as never, backboneId: 1, k: 2, seed: 0, params: {} }), /unknown clustering method/);
    assert.throws(() => createRun(db, { method: 'kmeans', backboneId: 1, k: 0, seed: 0, params: {} }), /positive integer/);
    assert.throws(() => saveAssignments(db, 999, [ok]), /does not exist/);
  });
});

test('runs-repo: listing, the default run, stale runs and deletion', () => {
  withDb((db) => {
    const a = createRun(db, { method: 'kmeans', backboneId: 1, k: 2, seed: 0, params: {} });
    finishRun(db, a, { state: 'done' });
    const b = createRun(db, { method: 'spice', backboneId: 1, k: 2, seed: 0, params: {} });
    finishRun(db, b, { state: 'done' });
    const c = createRun(db, { method: 'kmeans', backboneId: 1, k: 3, seed: 0, params: {} });
    assert.deepEqual(
      listRuns(db).map((r) => r.id),
      [c, b, a],
    );
    assert.deepEqual(
      listRuns(db, { method: 'kmeans' }).map((r) => r.id),
      [c, a],
    );
    assert.deepEqual(
      listRuns(db, { state: 'done' }).map((r) => r.id),
      [b, a],
    );
    assert.equal(defaultRun(db)!.id, b, 'the latest finished spice run comes first (it records no health: an older run)');
    // A run whose job died is marked interrupted; one without a job is left alone.
    const now = Date.now();
    const job = Number(
      db.prepare(`INSERT INTO jobs (kind, params, state, started_at, updated_at) VALUES ('cluster', '{}', 'interrupted', ?, ?)`).run(now, now).lastInsertRowid,
    );
    const d = createRun(db, { method: 'kmeans', backboneId: 1, k: 2, seed: 0, params: {}, jobId: job });
    assert.equal(markStaleRuns(db), 1);
    assert.equal(getRun(db, d)!.state, 'interrupted');
    assert.equal(getRun(db, c)!.state, 'running');
    assert.ok(deleteRun(db, a));
    assert.equal(getRun(db, a), undefined);
  });
});
