// Large maps: UMAP lays out a sample, the other images are placed among their nearest sampled ones.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAP_SAMPLE, mapSample, placeAroundSample } from '../../main/app/services/map-sample.ts';
import { createRng, sampleIndices } from '../../main/base/random.ts';

test('a map sample is drawn only past the sample size, distinct, ascending and the same for the same seed', () => {
  assert.equal(mapSample(MAP_SAMPLE, 0), null);
  const a = mapSample(MAP_SAMPLE + 5000, 0)!;
  assert.equal(a.length, MAP_SAMPLE);
  assert.equal(new Set(a).size, MAP_SAMPLE);
  for (let i = 1; i < a.length; i++) assert.ok(a[i] > a[i - 1]);
  assert.deepEqual(mapSample(MAP_SAMPLE + 5000, 0), a);
  assert.notDeepEqual(mapSample(MAP_SAMPLE + 5000, 1), a);
  assert.throws(() => sampleIndices(3, 4, createRng(0)), /cannot draw 4 of 3/);
});

test('images outside the sample land beside the sampled images they resemble', async () => {
  // Two groups of unit vectors around two directions; the sample's layout puts them at (0.1, 0.1) and (0.9, 0.9).
  const dim = 16;
  const n = 400;
  const rng = createRng(5);
  const data = new Float32Array(n * dim);
  const group = (i: number) => i % 2;
  for (let i = 0; i < n; i++) {
    const row = data.subarray(i * dim, (i + 1) * dim);
    for (let d = 0; d < dim; d++) row[d] = 0.15 * (rng.next() - 0.5);
    row[group(i)] += 1;
    const norm = Math.hypot(...row);
    for (let d = 0; d < dim; d++) row[d] /= norm;
  }
  const sample = sampleIndices(n, 60, createRng(2));
  const sampleCoords = new Float32Array(sample.length * 2);
  sample.forEach((row, i) => sampleCoords.fill(group(row) === 0 ? 0.1 : 0.9, i * 2, i * 2 + 2));
  const progress: number[] = [];
  const coords = await placeAroundSample(data, n, dim, sample, sampleCoords, { onProgress: (done) => progress.push(done) });
  assert.equal(progress.at(-1), n - sample.length);
  for (let i = 0; i < n; i++) {
    const want = group(i) === 0 ? 0.1 : 0.9;
    assert.ok(Math.abs(coords[i * 2] - want) < 1e-6 && Math.abs(coords[i * 2 + 1] - want) < 1e-6, `image ${i} at (${coords[i * 2]}, ${coords[i * 2 + 1]})`);
  }
});
