import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clusteringMetrics } from '../../main/pipeline/cluster/metrics.ts';

const close = (a: number, b: number, eps = 1e-9) => assert.ok(Math.abs(a - b) < eps, `${a} != ${b}`);

test('metrics: a perfect clustering with permuted ids scores 1 everywhere', () => {
  const m = clusteringMetrics(['a', 'a', 'b', 'b', 'c', 'c'], [2, 2, 0, 0, 1, 1]);
  close(m.acc, 1);
  close(m.nmi, 1);
  close(m.ari, 1);
  assert.equal(m.mapping.get(2), 'a');
  assert.equal(m.mapping.get(0), 'b');
});

test('metrics: hand-computed ACC, NMI and ARI with a split class', () => {
  // truth [0,0,1,1], pred [0,0,1,2] (scikit-learn's documentation example):
  // ARI = (1 - 1/3) / (3/2 - 1/3) = 4/7; MI = ln2, H(truth) = ln2, H(pred) = 1.5 ln2 -> NMI = 1 / 1.25 = 0.8.
  const m = clusteringMetrics([0, 0, 1, 1], [0, 0, 1, 2]);
  close(m.ari, 4 / 7);
  close(m.nmi, 0.8);
  close(m.acc, 0.75); // one of the two halves of class 1 stays unmatched
  close(m.purity, 1);
  assert.equal(m.perCluster.length, 3);
  assert.equal(m.perCluster.filter((c) => c.matchedClass === null).length, 1);
});

test('metrics: a clustering independent of the truth', () => {
  // Each class spread evenly over both clusters: MI = 0, ARI = (1 - 2*2/6)/(2 - 4/3)... = -0.5
  // pairs: cells all 1 -> 0; rows (2,2) -> 2; cols (2,2) -> 2; total 6; expected 4/6; max 2.
  const m = clusteringMetrics(['x', 'x', 'y', 'y'], [0, 1, 0, 1]);
  close(m.nmi, 0);
  close(m.ari, (0 - 4 / 6) / (2 - 4 / 6));
  close(m.acc, 0.5);
});

test('metrics: everything in one cluster', () => {
  // scikit-learn: adjusted_rand_score([0,0,1,1],[0,0,0,0]) = 0, NMI = 0.
  const m = clusteringMetrics([0, 0, 1, 1], [0, 0, 0, 0]);
  close(m.ari, 0);
  close(m.nmi, 0);
  close(m.acc, 0.5);
  // Both trivial: identical partitions.
  const t = clusteringMetrics(['a', 'a'], [3, 3]);
  close(t.ari, 1);
  close(t.nmi, 1);
});

test('metrics: a hand-computed 3-class case with a Hungarian mapping that is not greedy', () => {
  // cluster 0: a a a a a b b b b  (5 a, 4 b)
  // cluster 1: a a a a            (4 a)
  // cluster 2: c c
  const truth = [...'aaaaabbbb', ...'aaaa', ...'cc'];
  const pred = [...Array(9).fill(0), ...Array(4).fill(1), 2, 2];
  const m = clusteringMetrics(truth, pred);
  close(m.acc, (4 + 4 + 2) / 15);
  assert.equal(m.mapping.get(0), 'b');
  assert.equal(m.mapping.get(1), 'a');
  assert.equal(m.mapping.get(2), 'c');
  close(m.purity, (5 + 4 + 2) / 15);
  // ARI by hand: cells C(5,2)+C(4,2)+C(4,2)+C(2,2) = 10+6+6+1 = 23; rows C(9,2)+C(4,2)+C(2,2) = 36+6+1 = 43;
  // cols C(9,2)+C(4,2)+C(2,2) = 43; total C(15,2) = 105; expected 43*43/105.
  const expected = (43 * 43) / 105;
  close(m.ari, (23 - expected) / (43 - expected));
  // NMI by hand (natural logs).
  const n = 15;
  const cells = [
    [5, 9, 9],
    [4, 9, 4],
    [4, 4, 9],
    [2, 2, 2],
  ]; // [n_ij, row sum, col sum]
  const mi = cells.reduce((s, [nij, a, b]) => s + (nij / n) * Math.log((n * nij) / (a * b)), 0);
  const h = (xs: number[]) => -xs.reduce((s, x) => s + (x / n) * Math.log(x / n), 0);
  close(m.nmi, mi / ((h([9, 4, 2]) + h([9, 4, 2])) / 2));
  assert.deepEqual(m.confusion.counts, [
    [5, 4, 0],
    [4, 0, 0],
    [0, 0, 2],
  ]);
  assert.deepEqual(m.confusion.classes, ['a', 'b', 'c']);
});

test('metrics: input errors', () => {
  assert.throws(() => clusteringMetrics([1, 2], [0]), /2 labels/);
  assert.throws(() => clusteringMetrics([], []), /no images/);
});
