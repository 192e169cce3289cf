import { test } from 'node:test';
import assert from 'node:assert/strict';
import { maxWeightAssignment, minCostAssignment } from '../../main/pipeline/cluster/hungarian.ts';
import { createRng } from '../../main/base/random.ts';

/** Best total over every injective map from the smaller side into the larger, by enumeration. */
function bruteForceMin(cost: number[][]): number {
  const rows = cost.length;
  const cols = cost[0].length;
  const transposed = rows > cols;
  const a = transposed ? cols : rows;
  const b = transposed ? rows : cols;
  const at = (i: number, j: number) => (transposed ? cost[j][i] : cost[i][j]);
  let best = Infinity;
  const used = new Array<boolean>(b).fill(false);
  const walk = (i: number, acc: number) => {
    if (i === a) {
      best = Math.min(best, acc);
      return;
    }
    for (let j = 0; j < b; j++) {
      if (used[j]) continue;
      used[j] = true;
      walk(i + 1, acc + at(i, j));
      used[j] = false;
    }
  };
  walk(0, 0);
  return best;
}

test('hungarian: a hand-checked 3x3 case', () => {
  // Rows must take columns 1, 0, 2: 1 + 2 + 2 = 5 (the diagonal costs 4 + 4 + 2 = 10).
  const m = minCostAssignment([
    [4, 1, 3],
    [2, 4, 5],
    [3, 2, 2],
  ]);
  assert.deepEqual([...m.rowToCol], [1, 0, 2]);
  assert.deepEqual([...m.colToRow], [1, 0, 2]);
  assert.equal(m.total, 5);
});

test('hungarian: maximum weight beats the greedy choice', () => {
  // Greedy takes the 5 and is left with 0 (total 5); the optimum is 4 + 4.
  const m = maxWeightAssignment([
    [5, 4],
    [4, 0],
  ]);
  assert.equal(m.total, 8);
  assert.deepEqual([...m.rowToCol], [1, 0]);
});

test('hungarian: rectangular matrices leave the surplus side unmatched', () => {
  const wide = minCostAssignment([
    [9, 1, 9, 9],
    [9, 9, 9, 2],
  ]);
  assert.deepEqual([...wide.rowToCol], [1, 3]);
  assert.deepEqual([...wide.colToRow], [-1, 0, -1, 1]);
  assert.equal(wide.total, 3);
  const tall = minCostAssignment([
    [9, 9],
    [1, 9],
    [9, 9],
    [9, 2],
  ]);
  assert.deepEqual([...tall.rowToCol], [-1, 0, -1, 1]);
  assert.deepEqual([...tall.colToRow], [1, 3]);
  assert.equal(tall.total, 3);
});

test('hungarian: matches brute force on random square and rectangular matrices', () => {
  const rng = createRng(7);
  for (let trial = 0; trial < 200; trial++) {
    const rows = 1 + rng.int(6);
    const cols = 1 + rng.int(6);
    const cost = Array.from({ length: rows }, () => Array.from({ length: cols }, () => rng.int(20) - 5));
    const m = minCostAssignment(cost);
    assert.equal(m.total, bruteForceMin(cost), JSON.stringify(cost));
    const matched = [...m.rowToCol].filter((c) => c >= 0);
    assert.equal(matched.length, Math.min(rows, cols));
    assert.equal(new Set(matched).size, matched.length, 'a column is used twice');
  }
});

test('hungarian: empty and invalid input', () => {
  assert.equal(minCostAssignment([]).total, 0);
  assert.throws(() => minCostAssignment([[1, 2], [3]]), /differ in length/);
  assert.throws(() => minCostAssignment([[1, NaN]]), /non-finite/);
});
