import { test } from 'node:test';
import assert from 'node:assert/strict';
import { blendNeighbourVotes } from '../../main/pipeline/label/neighbour-votes.ts';
import type { KnnResult } from '../../main/ml/cosine-knn.ts';

// Four images, two classes. Image 0 leans to class 0 (0.6), but its two nearest neighbours (1, 2) carry
// a person's label "class 1"; image 3's neighbours carry no person label.
const probs = Float32Array.from([0.6, 0.4, 0.5, 0.5, 0.5, 0.5, 0.7, 0.3]);
const graph: KnnResult = { k: 2, indices: Int32Array.from([1, 2, 0, 2, 0, 1, 0, 0]), sims: new Float32Array(8).fill(0.9) };
const personLabel = Int32Array.from([-1, 1, 1, -1]);

test("the person labels of an image's neighbours pull its prediction to their class", () => {
  const out = blendNeighbourVotes(probs, 4, 2, graph, personLabel, { neighbours: 2, weight: 1 });
  assert.ok(out[1] > out[0], `image 0 should now lean to class 1: ${out[0]} vs ${out[1]}`);
  for (let i = 0; i < 4; i++) assert.ok(Math.abs(out[2 * i] + out[2 * i + 1] - 1) < 1e-6, `row ${i} still sums to 1`);
});

test("images without labelled neighbours, and weight 0, keep the classifier's probabilities", () => {
  const blended = blendNeighbourVotes(probs, 4, 2, graph, Int32Array.from([-1, -1, 1, -1]), { neighbours: 1, weight: 1 });
  assert.deepEqual([...blended.subarray(0, 2)], [...probs.subarray(0, 2)], 'image 0 reads only its nearest neighbour, which has no label');
  assert.deepEqual([...blendNeighbourVotes(probs, 4, 2, graph, personLabel, { neighbours: 2, weight: 0 })], [...probs]);
  assert.deepEqual(
    [...probs],
    [0.6, 0.4, 0.5, 0.5, 0.5, 0.5, 0.7, 0.3].map((v) => Math.fround(v)),
    'the input is not changed',
  );
});
