// A few training steps of the MLP heads (tf.variableGrads + tf.train.adam) against a plain
// double-precision forward pass, backward pass and Adam (PyTorch's form: epsilon added to the
// bias-corrected sqrt(v)), on both CPU backends.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRng } from '../../main/base/random.ts';
import { initTfBackend, type TfBackendName } from '../../main/ml/tf-backend.ts';
import { MlpHeads, type AdamSettings, type MlpHeadsWeights } from '../../main/ml/mlp-heads.ts';

type Weights = Record<'w1' | 'b1' | 'w2' | 'b2', Float64Array>;

/** dLoss/dweights for fixed dLoss/dlogits dz (H x n x k), in float64. */
function referenceGradients(w: Weights, spec: MlpHeadsWeights['spec'], x: Float32Array, n: number, dz: Float32Array): Weights {
  const { inputDim: d, hidden: h, k, heads: H } = spec;
  const width = H * h;
  const act = new Float64Array(n * width);
  for (let r = 0; r < n; r++) {
    for (let j = 0; j < width; j++) {
      let s = w.b1[j];
      for (let i = 0; i < d; i++) s += x[r * d + i] * w.w1[i * width + j];
      act[r * width + j] = Math.max(0, s);
    }
  }
  const g: Weights = { w1: new Float64Array(w.w1.length), b1: new Float64Array(w.b1.length), w2: new Float64Array(w.w2.length), b2: new Float64Array(w.b2.length) };
  const dPre = new Float64Array(n * width);
  for (let hd = 0; hd < H; hd++) {
    for (let r = 0; r < n; r++) {
      for (let c = 0; c < k; c++) {
        const dzv = dz[(hd * n + r) * k + c];
        g.b2[hd * k + c] += dzv;
        for (let j = 0; j < h; j++) {
          const col = hd * h + j;
          g.w2[(hd * h + j) * k + c] += act[r * width + col] * dzv;
          if (act[r * width + col] > 0) dPre[r * width + col] += dzv * w.w2[(hd * h + j) * k + c];
        }
      }
    }
  }
  for (let r = 0; r < n; r++) {
    for (let j = 0; j < width; j++) {
      const v = dPre[r * width + j];
      g.b1[j] += v;
      for (let i = 0; i < d; i++) g.w1[i * width + j] += x[r * d + i] * v;
    }
  }
  return g;
}

for (const backend of ['wasm', 'cpu'] as TfBackendName[]) {
  test(`MLP heads: three Adam steps match a float64 reference (${backend})`, async () => {
    await initTfBackend(backend);
    const spec = { inputDim: 6, hidden: 5, k: 4, heads: 3 };
    const rng = createRng(9);
    const heads = MlpHeads.create(spec, rng.next);
    const n = 7;
    const x = Float32Array.from({ length: n * spec.inputDim }, () => rng.next() * 2 - 1);
    // Gradients of ~1e-3 against epsilon 1e-4: where epsilon is added matters at the 1e-2 level.
    const dz = Float32Array.from({ length: spec.heads * n * spec.k }, () => (rng.next() - 0.5) * 2e-3);
    const adam: Required<AdamSettings> = { lr: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-4 };
    const start = heads.weights();
    const w: Weights = { w1: Float64Array.from(start.w1), b1: Float64Array.from(start.b1), w2: Float64Array.from(start.w2), b2: Float64Array.from(start.b2) };
    const m: Weights = { w1: new Float64Array(w.w1.length), b1: new Float64Array(w.b1.length), w2: new Float64Array(w.w2.length), b2: new Float64Array(w.b2.length) };
    const v: Weights = structuredClone(m);
    for (let t = 1; t <= 3; t++) {
      heads.trainStep(
        x,
        n,
        (logits) => {
          assert.equal(logits.length, dz.length);
          return dz;
        },
        adam,
      );
      const g = referenceGradients(w, spec, x, n, dz);
      for (const p of ['w1', 'b1', 'w2', 'b2'] as const) {
        for (let i = 0; i < w[p].length; i++) {
          m[p][i] = adam.beta1 * m[p][i] + (1 - adam.beta1) * g[p][i];
          v[p][i] = adam.beta2 * v[p][i] + (1 - adam.beta2) * g[p][i] ** 2;
          const mHat = m[p][i] / (1 - adam.beta1 ** t);
          const vHat = v[p][i] / (1 - adam.beta2 ** t);
          w[p][i] -= (adam.lr * mHat) / (Math.sqrt(vHat) + adam.epsilon);
        }
      }
    }
    const got = heads.weights();
    let moved = 0;
    for (const p of ['w1', 'b1', 'w2', 'b2'] as const) {
      for (let i = 0; i < w[p].length; i++) {
        const step = w[p][i] - start[p][i];
        assert.ok(Math.abs(got[p][i] - w[p][i]) < 1e-5 + 1e-3 * Math.abs(step), `${p}[${i}]: ${got[p][i]} vs reference ${w[p][i]} (moved ${step})`);
        if (Math.abs(step) > 1e-3) moved++;
      }
    }
    assert.ok(moved > 20, `only ${moved} weights moved`);
    assert.throws(() => heads.trainStep(x, n, () => dz, { ...adam, lr: 0.02 }), /Adam settings changed/);
    heads.dispose();
  });
}
