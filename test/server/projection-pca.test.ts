// The PCA that shrinks embeddings before the map's UMAP (SPICE's PCA): checked against an exact
// eigen-decomposition.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAP_PCA_DIMS, reduceForMap } from '../../main/app/services/map-pca.ts';
import { jacobiEigen } from '../../main/ml/jacobi-eigen.ts';
import { createRng } from '../../main/base/random.ts';

test('Jacobi eigen-decomposition of a small symmetric matrix', () => {
  const { values, vectors } = jacobiEigen(Float64Array.from([4, 1, 0, 1, 3, 1, 0, 1, 2]), 3);
  const sorted = Array.from(values).sort((a, b) => b - a);
  assert.ok(Math.abs(sorted[0] - (3 + Math.sqrt(3))) < 1e-9);
  assert.ok(Math.abs(sorted[1] - 3) < 1e-9);
  assert.ok(Math.abs(sorted[2] - (3 - Math.sqrt(3))) < 1e-9);
  // A v = lambda v for each column.
  const a = [4, 1, 0, 1, 3, 1, 0, 1, 2];
  for (let e = 0; e < 3; e++) {
    for (let i = 0; i < 3; i++) {
      let s = 0;
      for (let j = 0; j < 3; j++) s += a[i * 3 + j] * vectors[j * 3 + e];
      assert.ok(Math.abs(s - values[e] * vectors[i * 3 + e]) < 1e-9);
    }
  }
});

test("the map's PCA finds the variances of the exact covariance spectrum", async () => {
  const n = 600;
  const dim = 80;
  const rng = createRng(3);
  const data = new Float32Array(n * dim);
  // Three strong directions of decreasing spread plus small noise.
  for (let i = 0; i < n; i++) {
    const a = (rng.next() - 0.5) * 10;
    const b = (rng.next() - 0.5) * 5;
    const c = (rng.next() - 0.5) * 2;
    for (let d = 0; d < dim; d++) data[i * dim + d] = a * Math.sin(d + 1) + b * Math.cos(2 * d) + c * ((d % 3) - 1) + (rng.next() - 0.5) * 0.1 + 3;
  }
  const cov = new Float64Array(dim * dim);
  const mean = new Float64Array(dim);
  for (let i = 0; i < n; i++) for (let d = 0; d < dim; d++) mean[d] += data[i * dim + d] / n;
  for (let i = 0; i < n; i++) {
    for (let p = 0; p < dim; p++) for (let q = 0; q < dim; q++) cov[p * dim + q] += ((data[i * dim + p] - mean[p]) * (data[i * dim + q] - mean[q])) / n;
  }
  const exact = Array.from(jacobiEigen(cov, dim).values).sort((x, y) => y - x);
  const reduced = await reduceForMap(data, n, dim, 1);
  assert.equal(reduced.dim, MAP_PCA_DIMS);
  const scores = reduced.data;
  for (let k = 0; k < 3; k++) {
    let variance = 0;
    for (let i = 0; i < n; i++) variance += scores[i * reduced.dim + k] ** 2 / n;
    assert.ok(Math.abs(variance - exact[k]) / exact[k] < 1e-3, `component ${k}: ${variance} vs ${exact[k]}`);
  }
});

test('rows no wider than the map needs are laid out as they are', async () => {
  const data = Float32Array.from({ length: 30 * 8 }, (_, i) => i % 7);
  assert.deepEqual(await reduceForMap(data, 30, 8, 0), { data, dim: 8 });
});
