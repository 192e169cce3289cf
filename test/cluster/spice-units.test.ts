// SPICE building blocks on small inputs: loss gradients against finite differences, the MLP heads'
// backward pass, reliable-sample selection and its visible relaxation, the doubt score.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crossEntropy, meanEntropyPenalty, neighbourConsistency, softmaxRows } from '../../main/pipeline/cluster/spice-losses.ts';
import { DEFAULT_RELAX_SCHEDULE, selectReliable, type ReliableOptions } from '../../main/pipeline/cluster/reliable.ts';
import { doubtScores } from '../../main/pipeline/cluster/doubt.ts';
import { alignHeadOutputs, headConsensus } from '../../main/pipeline/cluster/spice-self.ts';
import { createRng } from '../../main/base/random.ts';
import { initTfBackend } from '../../main/ml/tf-backend.ts';
import { MlpHeads, predictWithWeights, sliceHead, type MlpHeadsWeights } from '../../main/ml/mlp-heads.ts';
import { pca } from '../../main/ml/spice-linalg.ts';
import { cosineKnn } from '../../main/ml/cosine-knn.ts';
import { jacobiEigen } from '../../main/ml/jacobi-eigen.ts';

const K = 4;
const N = 6;

function randomLogits(seed: number, count: number): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: count }, () => (rng.next() - 0.5) * 4);
}

/** Loss of the SPICE-Self objective on logits [anchors | neighbours | strong], with its gradient. */
function objective(logits: Float32Array, targets: Int32Array, grad: Float32Array): number {
  const pa = softmaxRows(logits, 0, N, K);
  const pn = softmaxRows(logits, N * K, N, K);
  const ps = softmaxRows(logits, 2 * N * K, N, K);
  let loss = meanEntropyPenalty(pa, N, K, 2.5, grad, 0);
  loss += neighbourConsistency(pa, pn, N, K, 1.5, grad, 0, N * K);
  loss += crossEntropy(ps, targets, N, K, 0.7, grad, 2 * N * K);
  return loss;
}

test('SPICE loss gradients match finite differences', () => {
  const logits = randomLogits(1, 3 * N * K);
  const targets = Int32Array.from([0, 3, -1, 1, 2, -1]);
  const grad = new Float32Array(logits.length);
  objective(logits, targets, grad);
  const h = 1e-3;
  for (let i = 0; i < logits.length; i++) {
    const up = Float32Array.from(logits);
    const down = Float32Array.from(logits);
    up[i] += h;
    down[i] -= h;
    const numeric = (objective(up, targets, new Float32Array(logits.length)) - objective(down, targets, new Float32Array(logits.length))) / (2 * h);
    assert.ok(Math.abs(numeric - grad[i]) < 2e-3, `logit ${i}: analytic ${grad[i]} vs numeric ${numeric}`);
  }
});

test('MLP heads: backward matches finite differences, heads are independent, JS inference matches tfjs', async () => {
  await initTfBackend();
  const spec = { inputDim: 5, hidden: 7, k: 3, heads: 2 };
  const heads = MlpHeads.create(spec, createRng(3).next);
  const n = 4;
  const x = randomLogits(4, n * spec.inputDim);
  const target = [2, 0, 1, 1];
  // Loss: cross-entropy of head 1 only; head 0 must get no update.
  const lossOf = (logits: Float32Array, grad?: Float32Array) => {
    let loss = 0;
    const p = softmaxRows(logits, n * spec.k, n, spec.k);
    for (let i = 0; i < n; i++) {
      loss -= Math.log(p[i * spec.k + target[i]]);
      if (grad) for (let c = 0; c < spec.k; c++) grad[(n + i) * spec.k + c] = p[i * spec.k + c] - (c === target[i] ? 1 : 0);
    }
    return loss;
  };
  const w0 = heads.weights();
  const pass = heads.forward(x, n);
  const grad = new Float32Array(pass.logits.length);
  lossOf(pass.logits, grad);
  // Plain SGD through Adam's first step: with beta1 = beta2 = 0 the step is lr * sign(gradient).
  heads.backward(pass, grad, { lr: 1e-4, beta1: 0, beta2: 0, epsilon: 1e-30 });
  const w1 = heads.weights();
  const numericGrad = (mutate: (w: typeof w0) => void) => {
    const plus = structuredClone(w0);
    const minus = structuredClone(w0);
    const eps = 1e-2;
    mutate(plus);
    mutate(minus);
    // mutate adds +1 at a position; rescale to +-eps around w0
    for (const key of ['w1', 'b1', 'w2', 'b2'] as const) {
      for (let i = 0; i < w0[key].length; i++) {
        const d = plus[key][i] - w0[key][i];
        plus[key][i] = w0[key][i] + d * eps;
        minus[key][i] = w0[key][i] - d * eps;
      }
    }
    const lp = new MlpHeads(plus);
    const lm = new MlpHeads(minus);
    const a = lp.forward(x, n);
    const b = lm.forward(x, n);
    const value = (lossOf(a.logits) - lossOf(b.logits)) / (2 * eps);
    a.dispose();
    b.dispose();
    lp.dispose();
    lm.dispose();
    return value;
  };
  const H = spec.heads;
  const hd = spec.hidden;
  for (const [key, index] of [
    ['w1', 2 * H * hd + hd + 3],
    ['b1', hd + 1],
    ['w2', hd * spec.k + 2 * spec.k + 1],
    ['b2', spec.k + 2],
  ] as const) {
    const g = numericGrad((w) => {
      w[key][index] += 1;
    });
    const step = w0[key][index] - w1[key][index];
    if (Math.abs(g) > 1e-3) assert.equal(Math.sign(step), Math.sign(g), `${key}[${index}]: step ${step} against gradient ${g}`);
  }
  // Head 0 (columns 0..hd-1 of w1, first block of w2/b2) is untouched.
  for (let r = 0; r < spec.inputDim; r++) for (let j = 0; j < hd; j++) assert.equal(w1.w1[r * H * hd + j], w0.w1[r * H * hd + j]);
  assert.deepEqual(Array.from(w1.w2.subarray(0, hd * spec.k)), Array.from(w0.w2.subarray(0, hd * spec.k)));
  // Plain-JS inference of one head equals the tfjs forward pass.
  const tfProbs = heads.predict(x, n);
  const jsProbs = predictWithWeights(sliceHead(heads.weights(), 1), x, n);
  for (let i = 0; i < n * spec.k; i++) assert.ok(Math.abs(tfProbs[n * spec.k + i] - jsProbs[i]) < 1e-5);
  heads.dispose();
});

test('cosine k-NN and PCA agree with direct computation', async () => {
  await initTfBackend();
  const rng = createRng(7);
  const n = 40;
  const dim = 8;
  const data = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    let norm = 0;
    for (let d = 0; d < dim; d++) norm += (data[i * dim + d] = rng.next() - 0.5) ** 2;
    for (let d = 0; d < dim; d++) data[i * dim + d] /= Math.sqrt(norm);
  }
  const { indices, sims } = await cosineKnn(data, n, dim, 5, { blockRows: 16 });
  for (let i = 0; i < n; i++) {
    const all = Array.from({ length: n }, (_, j) => j)
      .filter((j) => j !== i)
      .map((j) => ({ j, s: Array.from({ length: dim }, (_, d) => data[i * dim + d] * data[j * dim + d]).reduce((a, b) => a + b, 0) }))
      .sort((a, b) => b.s - a.s);
    for (let c = 0; c < 5; c++) {
      assert.ok(Math.abs(sims[i * 5 + c] - all[c].s) < 1e-5);
      assert.notEqual(indices[i * 5 + c], i);
    }
  }
  const basis = pca(data, n, dim, 3, createRng(1).next, { iterations: 60 });
  // Each component is an eigenvector of the covariance with its variance as eigenvalue.
  const mean = new Float64Array(dim);
  for (let i = 0; i < n; i++) for (let d = 0; d < dim; d++) mean[d] += data[i * dim + d] / n;
  const cov = new Float64Array(dim * dim);
  for (let i = 0; i < n; i++)
    for (let a = 0; a < dim; a++) for (let b = 0; b < dim; b++) cov[a * dim + b] += ((data[i * dim + a] - mean[a]) * (data[i * dim + b] - mean[b])) / (n - 1);
  const { values } = jacobiEigen(cov, dim);
  const top = Array.from(values).sort((a, b) => b - a);
  for (let r = 0; r < 3; r++) {
    assert.ok(Math.abs(basis.variances[r] - top[r]) < 1e-4 * Math.max(1, top[0]), `variance ${r}: ${basis.variances[r]} vs ${top[r]}`);
    for (let a = 0; a < dim; a++) {
      let cv = 0;
      for (let b = 0; b < dim; b++) cv += cov[a * dim + b] * basis.components[r * dim + b];
      assert.ok(Math.abs(cv - top[r] * basis.components[r * dim + a]) < 1e-3, 'C v = lambda v');
    }
  }
});

function reliableOptions(over: Partial<ReliableOptions> = {}): ReliableOptions {
  return { neighbours: 3, consistency: 0.9, confidence: 0.99, minPerCluster: 1, relaxSchedule: DEFAULT_RELAX_SCHEDULE, balance: 'none', seed: 0, ...over };
}

test('reliable samples: consistency and confidence; an empty cluster is relaxed in the open', () => {
  // Images 0-3 in cluster 0 with neighbours among themselves; 4-7 in cluster 1 whose neighbourhoods are mixed.
  const labels = Int32Array.from([0, 0, 0, 0, 1, 1, 1, 1]);
  const nbrs = [
    [1, 2, 3],
    [0, 2, 3],
    [0, 1, 3],
    [0, 1, 2],
    [0, 5, 6],
    [4, 0, 1],
    [7, 2, 4],
    [6, 3, 5],
  ];
  const knn = { indices: Int32Array.from(nbrs.flat()), k: 3 };
  const confidence = Float32Array.from([0.999, 0.995, 0.98, 0.999, 0.999, 0.999, 0.999, 0.95]);
  const r = selectReliable(labels, confidence, knn, 2, reliableOptions());
  assert.deepEqual(Array.from(r.reliable.subarray(0, 4)), [1, 1, 0, 1], 'cluster 0 at the reference thresholds');
  assert.deepEqual(r.emptyAtDefault, [1], 'cluster 1 has no reliable sample at 0.9/0.99');
  assert.equal(r.relaxations.length, 1);
  const relax = r.relaxations[0];
  assert.equal(relax.cluster, 1);
  assert.equal(relax.before, 0);
  assert.ok(relax.after >= 1);
  assert.match(relax.message, /cluster 1 .* no reliable sample .* relaxed to consistency >= 0\.\d+ and confidence > /);
  assert.equal(r.perCluster[1].rule, 'relaxed');
  assert.deepEqual(Array.from(r.reliable.subarray(4)), [1, 0, 1, 1], 'relaxed to 0.6 / 0.8: images 4, 6, 7');
  assert.equal(relax.consistency, 0.6);
  assert.equal(relax.confidence, 0.8);
  // Consistency: image 6 has neighbours 7 (same), 2, 4 (same) -> 2/3.
  assert.ok(Math.abs(r.consistency[6] - 2 / 3) < 1e-6);

  // The reference's down-sampling: every cluster cut to the smallest.
  const down = selectReliable(labels, confidence, knn, 2, reliableOptions({ balance: 'downsample' }));
  const per = [0, 1].map((c) => Array.from(down.reliable).filter((v, i) => v && labels[i] === c).length);
  assert.equal(per[0], per[1]);
  assert.equal(down.downsampledTo, per[0]);

  // Nothing passes even the last schedule step: the most consistent members are taken, and said so.
  const strict = selectReliable(labels, confidence, knn, 2, reliableOptions({ minPerCluster: 3, relaxSchedule: [{ consistency: 0.95, confidence: 0.999 }] }));
  const fallback = strict.relaxations.find((x) => x.cluster === 1)!;
  assert.equal(fallback.rule, 'top-consistency');
  assert.equal(fallback.after, 3);
  assert.match(fallback.message, /most consistent members/);
});

test('doubt: low confidence and a disagreeing neighbourhood both raise it', () => {
  const labels = Int32Array.from([0, 0, 0, 1]);
  const probs = Float32Array.from([0.9, 0.1, 0.9, 0.1, 0.55, 0.45, 0.2, 0.8]);
  const knn = { indices: Int32Array.from([1, 2, 0, 2, 0, 1, 0, 1]), k: 2 };
  const d = doubtScores(labels, probs, 2, knn, { neighbours: 2 });
  assert.ok(d.doubt[2] > d.doubt[0], 'less confident, same neighbourhood');
  assert.ok(d.doubt[3] > d.doubt[0], 'confident but surrounded by another cluster');
  assert.equal(d.agreement[3], 0);
  for (const v of d.doubt) assert.ok(v >= 0 && v <= 1);
});

test('head consensus renumbers every head onto the reference head before averaging', () => {
  // Head 1 is head 0 with clusters 0 and 1 swapped, and less sure.
  const n = 3;
  const k = 2;
  const head0 = [0.9, 0.1, 0.2, 0.8, 0.7, 0.3];
  const head1 = [0.4, 0.6, 0.6, 0.4, 0.45, 0.55];
  const all = Float32Array.from([...head0, ...head1]);
  const { probs: c, rowToCol } = headConsensus(all, 2, n, k, 0);
  const expected = [0.75, 0.25, 0.3, 0.7, 0.625, 0.375];
  expected.forEach((v, i) => assert.ok(Math.abs(c[i] - v) < 1e-6, `${i}: ${c[i]} vs ${v}`));
  assert.deepEqual(Array.from(rowToCol[1]), [1, 0]);
});

test("aligned head weights give each head's outputs in the reference numbering", () => {
  // Two heads, 2 inputs, 2 hidden units, 3 clusters; head 1's clusters map 0->2, 1->0, 2->1.
  const spec = { inputDim: 2, hidden: 2, k: 3, heads: 2 };
  const w: MlpHeadsWeights = {
    spec,
    w1: Float32Array.from([0.5, -0.2, 0.3, 0.8, 0.1, 0.4, -0.6, 0.9]),
    b1: Float32Array.from([0.1, 0.2, 0, 0.05]),
    w2: Float32Array.from([1, 0, -1, 0.5, 0.2, 0, 0.3, -0.4, 0.9, 0, 1, 0.2]),
    b2: Float32Array.from([0, 0.1, 0.2, 0.3, 0, -0.1]),
  };
  const x = Float32Array.from([0.7, 0.2, -0.3, 0.9]);
  const aligned = alignHeadOutputs(w, [
    [0, 1, 2],
    [2, 0, 1],
  ]);
  const before = predictWithWeights(sliceHead(w, 1), x, 2);
  const after = predictWithWeights(sliceHead(aligned, 1), x, 2);
  for (let i = 0; i < 2; i++) [2, 0, 1].forEach((to, c) => assert.ok(Math.abs(after[i * 3 + to] - before[i * 3 + c]) < 1e-6));
  assert.deepEqual(predictWithWeights(sliceHead(aligned, 0), x, 2), predictWithWeights(sliceHead(w, 0), x, 2));
});
