// The consistency term's neighbours: pairs several views agree on, with the plain view's nearest as a
// fallback for images the views do not agree about.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { agreedNeighbourLists, nearestNeighbourLists, randomNeighbour, type NeighbourLists } from '../../main/pipeline/cluster/view-agreement.ts';
import type { KnnResult } from '../../main/ml/cosine-knn.ts';

/** A k-NN result from explicit neighbour rows. */
function graph(rows: number[][]): KnnResult {
  const k = rows[0].length;
  return { indices: Int32Array.from(rows.flat()), sims: new Float32Array(rows.length * k), k };
}

function listOf(lists: NeighbourLists, i: number): number[] {
  return Array.from(lists.indices.subarray(lists.offsets[i], lists.offsets[i + 1]));
}

// Five images; three views with 3 neighbours each.
const plain = graph([
  [1, 2, 3],
  [0, 2, 4],
  [1, 0, 3],
  [4, 2, 0],
  [3, 1, 2],
]);
const gray = graph([
  [2, 1, 4],
  [0, 3, 2],
  [0, 1, 4],
  [2, 0, 1],
  [2, 3, 0],
]);
const zoom = graph([
  [1, 4, 2],
  [2, 0, 3],
  [3, 4, 1],
  [1, 2, 4],
  [0, 1, 2],
]);

test('a pair is kept when enough views put it among the nearest', () => {
  const { lists, stats } = agreedNeighbourLists([plain, gray, zoom], plain, 5, { minAgree: 3, minNeighbours: 0, fallbackK: 2 });
  assert.deepEqual(listOf(lists, 0), [1, 2], 'image 0: 1 and 2 are in all three views, 3 and 4 are not');
  assert.deepEqual(listOf(lists, 1), [0, 2]);
  assert.deepEqual(listOf(lists, 2), [1]);
  assert.deepEqual(listOf(lists, 3), [2]);
  assert.deepEqual(listOf(lists, 4), [2]);
  assert.equal(stats.fallbackImages, 0);
  assert.equal(stats.meanNeighbours, 7 / 5);

  const two = agreedNeighbourLists([plain, gray, zoom], plain, 5, { minAgree: 2, minNeighbours: 0, fallbackK: 2 }).lists;
  assert.deepEqual(listOf(two, 0), [1, 2, 4], 'with 2 of 3 views, 4 (gray and zoom) joins');
});

test('images with too few agreed neighbours get their nearest plain-view ones', () => {
  const { lists, stats } = agreedNeighbourLists([plain, gray, zoom], plain, 5, { minAgree: 3, minNeighbours: 2, fallbackK: 2 });
  assert.deepEqual(listOf(lists, 0), [1, 2], 'enough already: unchanged');
  assert.deepEqual(listOf(lists, 2), [0, 1], 'agreed 1, plus plain 1 and 0 (1 only once)');
  assert.deepEqual(listOf(lists, 3), [2, 4], 'agreed 2, plus plain 4 and 2');
  assert.equal(stats.fallbackImages, 3);
});

test("without fixed views the neighbours are the plain view's nearest; a random pick stays in the list", () => {
  const lists = nearestNeighbourLists(plain, 5, 2);
  assert.deepEqual(listOf(lists, 3), [4, 2]);
  let s = 7;
  const int = (n: number) => (s = (s * 1103515245 + 12345) % 2 ** 31) % n;
  for (let t = 0; t < 50; t++) assert.ok([4, 2].includes(randomNeighbour(lists, 3, int)));
  assert.throws(() => agreedNeighbourLists([plain], plain, 5, { minAgree: 2, minNeighbours: 0, fallbackK: 1 }), /minAgree/);
});
