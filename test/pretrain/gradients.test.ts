// tf.variableGrads through the encoder and head (tfjs-core's gradient definitions) against finite
// differences, on the backend training uses here (wasm with the registered training kernels).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../../main/ml/tf-backend.ts';
import '../../main/ml/tf-gradients.ts';
import { initTrainingBackend } from '../../main/ml/moco/backend.ts';
import { bufferShapes, encoderForward, headForward, initTensors, parameterShapes } from '../../main/ml/moco/resnet.ts';
import { Rng } from '../../main/base/random.ts';
import type { EncoderSpec } from '../../main/ml/moco/config.ts';
import type { LayerContext, TensorMap } from '../../main/ml/moco/layers.ts';

for (const stem of ['small', 'large'] as const) {
  test(`resnet10 (${stem} stem) gradients match finite differences`, async () => {
    await initTrainingBackend('wasm');
    const spec: EncoderSpec = { arch: 'resnet10', width: 4, stem, featureDim: 32 };
    const rng = new Rng(3);
    const params = initTensors(parameterShapes(spec, 8), rng);
    const buffers = initTensors(bufferShapes(spec), rng);
    // Sizes keep at least 4 values per batch-norm group in the last stage: with 2, BN is nearly flat
    // and finite differences are meaningless there.
    const size = stem === 'small' ? 16 : 32;
    const splits = stem === 'small' ? 2 : 1;
    const xs = Float32Array.from({ length: 4 * size * size * 3 }, () => rng.normal());
    const weights = Float32Array.from({ length: 4 * 8 }, () => rng.normal());
    const x = tf.tensor4d(xs, [4, size, size, 3]);
    const r = tf.tensor2d(weights, [4, 8]);
    const lossTensor = (p: TensorMap) => {
      const ctx: LayerContext = { params: p, buffers, bn: { kind: 'batch', splits, momentum: 0.1, updates: new Map() } };
      return tf.sum(tf.mul(headForward(ctx, encoderForward(spec, ctx, x)), r)) as tf.Scalar;
    };
    const lossOf = (p: TensorMap) => lossTensor(p).dataSync()[0];
    const variables = new Map([...params].map(([name, t]) => [name, tf.variable(t)]));
    const byVariable = tf.variableGrads(() => lossTensor(variables), [...variables.values()]).grads;
    const grads: TensorMap = new Map([...variables].map(([name, v]) => [name, byVariable[v.name]]));
    assert.equal([...grads.values()].filter(Boolean).length, params.size, 'every parameter gets a gradient');
    let checked = 0;
    for (const name of ['stem.conv.w', 's1.b1.conv1.w', 's2.b1.down.w', 's3.b1.bn2.gamma', 's4.b1.bn1.beta', 'head.fc1.w', 'head.fc2.b']) {
      const p = params.get(name)!;
      const g = grads.get(name)!.dataSync();
      const values = p.dataSync().slice();
      for (let t = 0; t < 3; t++) {
        const i = rng.int(values.length);
        const eps = 2e-4; // larger steps cross ReLU and max-pool kinks in the early layers
        const at = (delta: number) => {
          const v = values.slice();
          v[i] += delta;
          const moved = new Map(params);
          moved.set(name, tf.tensor(v, p.shape));
          const l = tf.tidy(() => lossOf(moved));
          moved.get(name)!.dispose();
          return l;
        };
        const numeric = (at(eps) - at(-eps)) / (2 * eps);
        const tol = 3e-2 + 6e-2 * Math.abs(numeric);
        assert.ok(Math.abs(numeric - g[i]) < tol, `${name}[${i}]: analytic ${g[i]} vs numeric ${numeric}`);
        checked++;
      }
    }
    assert.equal(checked, 21);
    tf.dispose([...params.values(), ...variables.values(), ...buffers.values(), ...grads.values(), x, r]);
  });
}
