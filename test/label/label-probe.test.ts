import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initTfBackend, tf } from '../../main/ml/tf-backend.ts';
import { labelProbeProbs } from '../../main/pipeline/label/label-probe.ts';
import { createRng } from '../../main/base/random.ts';

// Three classes in 64 dimensions whose means differ in a few dimensions only, buried in noise; four
// labelled images per class. The probe must put most unlabelled images in their own class.
test('the label probe learns three classes from four labels each and leaves no tensor behind', async () => {
  await initTfBackend();
  const rng = createRng(7);
  const n = 300;
  const dim = 64;
  const k = 3;
  const x = new Float32Array(n * dim);
  const truth = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    truth[i] = i % k;
    for (let d = 0; d < dim; d++) x[i * dim + d] = (rng.next() - 0.5) * 1.5;
    for (let d = 0; d < 4; d++) x[i * dim + truth[i] * 4 + d] += 1.5;
  }
  const rows = Int32Array.from({ length: 12 }, (_, j) => j);
  const tensorsBefore = tf.memory().numTensors;
  const probs = labelProbeProbs(x, n, dim, rows, truth.subarray(0, 12), k, { steps: 100, lr: 0.01, l2: 0.001 });
  assert.equal(tf.memory().numTensors, tensorsBefore, 'no tensor is left behind (refine runs it after every batch)');
  assert.equal(probs.length, n * k);
  let right = 0;
  for (let i = 12; i < n; i++) {
    const row = probs.subarray(i * k, (i + 1) * k);
    assert.ok(Math.abs(row[0] + row[1] + row[2] - 1) < 1e-4);
    if (row.indexOf(Math.max(...row)) === truth[i]) right++;
  }
  assert.ok(right / (n - 12) > 0.9, `only ${right} of ${n - 12} unlabelled images in their class`);
});
