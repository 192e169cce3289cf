import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cosineKnn } from '../../main/ml/cosine-knn.ts';
import { createRng } from '../../main/base/random.ts';

function unitRows(n: number, dim: number, seed: number): Float32Array {
  const rng = createRng(seed);
  const data = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    let norm = 0;
    for (let d = 0; d < dim; d++) norm += (data[i * dim + d] = rng.next() - 0.5) ** 2;
    for (let d = 0; d < dim; d++) data[i * dim + d] /= Math.sqrt(norm);
  }
  return data;
}

/** Every other row by double-precision dot products, most similar first. */
function exactNeighbours(data: Float32Array, n: number, dim: number, i: number): Array<{ j: number; s: number }> {
  const out: Array<{ j: number; s: number }> = [];
  for (let j = 0; j < n; j++) {
    if (j === i) continue;
    let s = 0;
    for (let d = 0; d < dim; d++) s += data[i * dim + d] * data[j * dim + d];
    out.push({ j, s });
  }
  return out.sort((a, b) => b.s - a.s);
}

test('cosineKnn returns the exact neighbours of every row, most similar first, across uneven blocks', async () => {
  const n = 301;
  const dim = 24;
  const k = 12;
  const data = unitRows(n, dim, 3);
  const progress: number[] = [];
  const { indices, sims } = await cosineKnn(data, n, dim, k, { blockRows: 64, onProgress: (p) => progress.push(p.done) });
  assert.deepEqual(progress, [64, 128, 192, 256, 301]);
  for (let i = 0; i < n; i++) {
    const exact = exactNeighbours(data, n, dim, i);
    for (let c = 0; c < k; c++) {
      assert.ok(Math.abs(sims[i * k + c] - exact[c].s) < 1e-5, `row ${i} rank ${c}: ${sims[i * k + c]} vs ${exact[c].s}`);
      // Same row unless two candidates tie to float precision.
      if (Math.abs(exact[c].s - (exact[c + 1]?.s ?? -2)) > 1e-5 && (c === 0 || Math.abs(exact[c].s - exact[c - 1].s) > 1e-5)) {
        assert.equal(indices[i * k + c], exact[c].j, `row ${i} rank ${c}`);
      }
    }
  }
});

test('cosineKnn never lists a row as its own neighbour, even beside an exact duplicate', async () => {
  const n = 50;
  const dim = 8;
  const data = unitRows(n, dim, 9);
  data.copyWithin(7 * dim, 3 * dim, 4 * dim); // row 7 duplicates row 3
  const k = 4;
  const { indices, sims } = await cosineKnn(data, n, dim, k);
  for (let i = 0; i < n; i++) for (let c = 0; c < k; c++) assert.notEqual(indices[i * k + c], i);
  assert.equal(indices[3 * k], 7);
  assert.equal(indices[7 * k], 3);
  assert.ok(sims[3 * k] > 0.99999);
});

test('cosineKnn checks k and the data size, and stops on a cancelled signal', async () => {
  const data = unitRows(20, 4, 1);
  await assert.rejects(cosineKnn(data, 20, 4, 20), /k must be in 1\.\.19/);
  await assert.rejects(cosineKnn(data, 21, 4, 3), /expected 21 x 4/);
  const controller = new AbortController();
  controller.abort();
  await assert.rejects(cosineKnn(data, 20, 4, 3, { signal: controller.signal }), { name: 'AbortError' });
});
