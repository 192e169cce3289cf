import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cosineDistances, meanSilhouette, parseKRange, scanK } from '../../main/pipeline/cluster/kscan.ts';
import { makeBlobs } from './synthetic.ts';
import { getEmbeddedProject } from '../helpers/embedded-project.ts';
import { runKScan } from '../../main/pipeline/cluster/kscan.ts';

test('silhouette: a hand-computed case', () => {
  // a-b and c-d close (1), the pairs apart; s(a) = (4.5-1)/4.5 = 7/9, s(b) = (3.5-1)/3.5 = 5/7, c and d mirror them.
  const D = new Float32Array([0, 1, 4, 5, 1, 0, 3, 4, 4, 3, 0, 1, 5, 4, 1, 0]);
  const s = meanSilhouette(D, 4, new Int32Array([0, 0, 1, 1]), 2);
  assert.ok(Math.abs(s - (7 / 9 + 5 / 7) / 2) < 1e-7, String(s));
  // A point alone in its cluster scores 0 (scikit-learn's convention): mean of [0, s(b'), ...].
  const lone = meanSilhouette(D, 4, new Int32Array([0, 1, 1, 1]), 2);
  // b: a = (3+4)/2 = 3.5, b = 1 -> (1-3.5)/3.5; c: a = (3+1)/2 = 2, b = 4 -> 0.5; d: a = (4+1)/2 = 2.5, b = 5 -> 0.5.
  assert.ok(Math.abs(lone - (0 + -2.5 / 3.5 + 0.5 + 0.5) / 4) < 1e-7, String(lone));
});

test('cosine distances of unit and non-unit vectors', () => {
  const D = cosineDistances(new Float32Array([1, 0, 0, 2, 3, 3]), 3, 2);
  assert.ok(Math.abs(D[1] - 1) < 1e-7);
  assert.ok(Math.abs(D[2] - (1 - Math.SQRT1_2)) < 1e-6);
  assert.equal(D[0], 0);
  assert.equal(D[3], D[1]);
});

test('parseKRange', () => {
  assert.deepEqual(parseKRange('10'), { kMin: 10, kMax: 10 });
  assert.deepEqual(parseKRange('5..30'), { kMin: 5, kMax: 30 });
  assert.throws(() => parseKRange('1'), /at least 2/);
  assert.throws(() => parseKRange('9..5'), /empty/);
  assert.throws(() => parseKRange('five'), /number or a range/);
  assert.throws(() => parseKRange('2..500'), /at most/);
});

test('k scan finds the number of well-separated blobs', async () => {
  const b = makeBlobs(6, 40, 32, 0.35, 21);
  const progress: string[] = [];
  const r = await scanK(b.data, b.n, b.dim, { kMin: 3, kMax: 10, seed: 1, stability: true, onProgress: (_d, _t, m) => progress.push(m) });
  assert.equal(r.proposedK, 6);
  assert.deepEqual(
    r.rows.map((x) => x.k),
    [3, 4, 5, 6, 7, 8, 9, 10],
  );
  assert.equal(progress.length, 8);
  const six = r.rows.find((x) => x.k === 6)!;
  assert.ok(six.stability !== null && six.stability > 0.99, 'the true K is stable across seeds');
  for (const row of r.rows) assert.ok(row.silhouette >= -1 && row.silhouette <= 1);
});

test('k scan on real embeddings proposes a K inside the range and stays reproducible', async () => {
  const source = await getEmbeddedProject({ perClass: 30 });
  const { project, cleanup } = source.copy();
  try {
    const a = await runKScan(project, { kMin: 5, kMax: 12, seed: 0, restarts: 2 });
    assert.ok(a.proposedK >= 5 && a.proposedK <= 12);
    assert.equal(a.rows.length, 8);
    assert.equal(a.silhouettePoints, source.count);
    // Inertia falls as K grows (k-means++ with restarts keeps to this on real data).
    assert.ok(a.rows[a.rows.length - 1].inertia < a.rows[0].inertia);
    const b = await runKScan(project, { kMin: 5, kMax: 12, seed: 0, restarts: 2 });
    assert.deepEqual(b.rows, a.rows);
    const job = project.db.prepare(`SELECT kind, state FROM jobs WHERE params LIKE '%kscan%' ORDER BY id DESC LIMIT 1`).get();
    assert.deepEqual(job, { kind: 'cluster', state: 'done' });
  } finally {
    cleanup();
  }
});
