import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kmeans, kmeansAsync } from '../../main/pipeline/cluster/kmeans.ts';
import { clusteringMetrics } from '../../main/pipeline/cluster/metrics.ts';
import { makeBlobs } from './synthetic.ts';

test('kmeans: recovers well-separated blobs exactly', () => {
  const b = makeBlobs(6, 40, 32, 0.3);
  const r = kmeans(b.data, b.n, b.dim, 6, { seed: 3 });
  assert.equal(clusteringMetrics(b.truth, [...r.labels]).acc, 1);
  assert.equal(r.restartInertias.length, 10);
  assert.equal(r.inertia, Math.min(...r.restartInertias));
});

test('kmeans: the same seed gives the same result, bit for bit', () => {
  const b = makeBlobs(5, 50, 24, 1.2, 9);
  const a = kmeans(b.data, b.n, b.dim, 5, { seed: 11, restarts: 3 });
  const c = kmeans(b.data, b.n, b.dim, 5, { seed: 11, restarts: 3 });
  assert.deepEqual(a.labels, c.labels);
  assert.deepEqual(a.centroids, c.centroids);
  assert.equal(a.inertia, c.inertia);
});

test('kmeans: labels are the nearest centroid and centroids the mean of their rows', () => {
  const b = makeBlobs(4, 30, 16, 1.5, 5);
  const k = 4;
  const r = kmeans(b.data, b.n, b.dim, k, { seed: 2, restarts: 2 });
  let inertia = 0;
  for (let i = 0; i < b.n; i++) {
    let best = -1;
    let bestD = Infinity;
    for (let j = 0; j < k; j++) {
      let d2 = 0;
      for (let d = 0; d < b.dim; d++) d2 += (b.data[i * b.dim + d] - r.centroids[j * b.dim + d]) ** 2;
      if (d2 < bestD - 1e-9) {
        bestD = d2;
        best = j;
      }
    }
    assert.equal(r.labels[i], best, `row ${i}`);
    inertia += bestD;
  }
  assert.ok(Math.abs(inertia - r.inertia) < 1e-6 * inertia);
  for (let j = 0; j < k; j++) {
    const rows = [...r.labels.keys()].filter((i) => r.labels[i] === j);
    assert.ok(rows.length > 0, `cluster ${j} is empty`);
    for (let d = 0; d < b.dim; d++) {
      const mean = rows.reduce((s, i) => s + b.data[i * b.dim + d], 0) / rows.length;
      assert.ok(Math.abs(mean - r.centroids[j * b.dim + d]) < 1e-5);
    }
  }
});

test('kmeans: more restarts never end with a higher inertia', () => {
  const b = makeBlobs(8, 25, 16, 2.5, 4);
  const one = kmeans(b.data, b.n, b.dim, 8, { seed: 1, restarts: 1 });
  const many = kmeans(b.data, b.n, b.dim, 8, { seed: 1, restarts: 8 });
  assert.ok(many.inertia <= one.inertia);
});

test('kmeans: duplicate rows and k = n still give k non-empty clusters', () => {
  const dim = 3;
  const rows = [
    [1, 0, 0],
    [1, 0, 0],
    [1, 0, 0],
    [0, 1, 0],
    [0, 0, 1],
  ];
  const data = new Float32Array(rows.flat());
  const r = kmeans(data, rows.length, dim, 3, { seed: 1 });
  assert.equal(new Set(r.labels).size, 3);
  assert.ok(r.inertia < 1e-9);
  const all = kmeans(data, rows.length, dim, 5, { seed: 1, restarts: 2 });
  assert.equal(new Set(all.labels).size, 5);
});

test('kmeans: clear errors for bad input', () => {
  const data = new Float32Array(6);
  assert.throws(() => kmeans(data, 2, 3, 3, { seed: 1 }), /larger than the number of rows/);
  assert.throws(() => kmeans(data, 2, 4, 1, { seed: 1 }), /expected n x dim/);
  assert.throws(() => kmeans(data, 2, 3, 0, { seed: 1 }), /positive integer/);
  assert.throws(() => kmeans(new Float32Array([0, NaN]), 1, 2, 1, { seed: 1 }), /non-finite/);
});

test('kmeansAsync: same result as kmeans, reports progress and can be cancelled', async () => {
  const b = makeBlobs(4, 30, 16, 1.0, 8);
  const sync = kmeans(b.data, b.n, b.dim, 4, { seed: 5, restarts: 2 });
  let events = 0;
  const asyncResult = await kmeansAsync(b.data, b.n, b.dim, 4, { seed: 5, restarts: 2, onProgress: () => events++ });
  assert.deepEqual(asyncResult.labels, sync.labels);
  assert.ok(events >= 2);
  const controller = new AbortController();
  controller.abort();
  await assert.rejects(kmeansAsync(b.data, b.n, b.dim, 4, { seed: 5, signal: controller.signal }));
});

test('kmeans: the WebAssembly and JS dot engines reach the same clustering', () => {
  const b = makeBlobs(5, 40, 64, 1.0, 13);
  const wasm = kmeans(b.data, b.n, b.dim, 5, { seed: 4, restarts: 3, engine: 'wasm-simd' });
  const js = kmeans(b.data, b.n, b.dim, 5, { seed: 4, restarts: 3, engine: 'js' });
  assert.deepEqual(wasm.labels, js.labels);
  assert.ok(Math.abs(wasm.inertia - js.inertia) < 1e-4 * js.inertia);
});
