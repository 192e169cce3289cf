// The training kernels registered for wasm give the cpu backend's numbers: the convolution gradients
// over strides, paddings, odd sizes and filter shapes that ResNet stems and shortcuts use, and
// BatchMatMul with every combination of transpose flags, in 2-D and batched.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf, initTfBackend } from '../../main/ml/tf-backend.ts';
import { registerWasmTrainingKernels } from '../../main/ml/tf-kernels/index.ts';
import { Rng } from '../../main/base/random.ts';

type Pad = 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];
const CASES: Array<{ x: [number, number, number, number]; w: [number, number, number, number]; stride: number; pad: Pad }> = [
  { x: [4, 8, 8, 3], w: [3, 3, 3, 5], stride: 1, pad: 'same' },
  { x: [4, 9, 9, 3], w: [3, 3, 3, 5], stride: 2, pad: 'same' },
  {
    x: [2, 8, 8, 4],
    w: [3, 3, 4, 6],
    stride: 2,
    pad: [
      [0, 0],
      [1, 1],
      [1, 1],
      [0, 0],
    ],
  },
  { x: [2, 8, 8, 4], w: [1, 1, 4, 6], stride: 2, pad: 'valid' },
  { x: [2, 7, 7, 4], w: [3, 3, 4, 6], stride: 1, pad: 'valid' },
  {
    x: [2, 11, 11, 3],
    w: [7, 7, 3, 4],
    stride: 2,
    pad: [
      [0, 0],
      [3, 3],
      [3, 3],
      [0, 0],
    ],
  },
  { x: [2, 10, 12, 3], w: [3, 3, 3, 4], stride: 2, pad: 'valid' },
  {
    x: [3, 9, 10, 2],
    w: [5, 3, 2, 3],
    stride: 2,
    pad: [
      [0, 0],
      [1, 2],
      [0, 1],
      [0, 0],
    ],
  },
];

function values(n: number, rng: Rng): Float32Array {
  return Float32Array.from({ length: n }, () => rng.normal());
}

async function gradients(backend: string, c: (typeof CASES)[number], xv: Float32Array, wv: Float32Array, dyv: Float32Array) {
  await tf.setBackend(backend);
  const x = tf.tensor4d(xv, c.x);
  const w = tf.tensor4d(wv, c.w);
  const y = tf.conv2d(x, w, c.stride, c.pad);
  const dy = tf.tensor(dyv.subarray(0, y.size), y.shape);
  const attrs = { strides: [c.stride, c.stride], pad: c.pad, dataFormat: 'NHWC', dimRoundingMode: undefined };
  const dx = tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: w }, { ...attrs, inputShape: c.x } as never) as tf.Tensor;
  const dw = tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { ...attrs, filterShape: c.w } as never) as tf.Tensor;
  const out = { dx: await dx.data(), dw: await dw.data(), dxShape: dx.shape, dwShape: dw.shape };
  tf.dispose([x, w, y, dy, dx, dw]);
  return out;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

test('wasm Conv2DBackpropFilter and Conv2DBackpropInput match the cpu backend', async () => {
  await initTfBackend('cpu');
  await initTfBackend('wasm');
  const patches = registerWasmTrainingKernels();
  assert.deepEqual(patches.map((p) => p.kernel).sort(), ['BatchMatMul', 'Conv2DBackpropFilter', 'Conv2DBackpropInput', 'Identity']);
  const rng = new Rng(11);
  for (const c of CASES) {
    const xv = values(
      c.x.reduce((a, b) => a * b),
      rng,
    );
    const wv = values(
      c.w.reduce((a, b) => a * b),
      rng,
    );
    const dyv = values(c.x.reduce((a, b) => a * b) * c.w[3], rng);
    const ref = await gradients('cpu', c, xv, wv, dyv);
    const got = await gradients('wasm', c, xv, wv, dyv);
    const label = JSON.stringify(c);
    assert.deepEqual(got.dxShape, ref.dxShape, label);
    assert.deepEqual(got.dwShape, ref.dwShape, label);
    assert.ok(maxAbsDiff(got.dx, ref.dx) < 1e-4, `dx differs for ${label}: ${maxAbsDiff(got.dx, ref.dx)}`);
    assert.ok(maxAbsDiff(got.dw, ref.dw) < 1e-3, `dw differs for ${label}: ${maxAbsDiff(got.dw, ref.dw)}`);
  }
  await tf.setBackend('wasm');
});

test('wasm BatchMatMul with transpose flags matches the cpu backend', async () => {
  await initTfBackend('cpu');
  await initTfBackend('wasm');
  registerWasmTrainingKernels();
  const rng = new Rng(12);
  for (const batch of [[], [3]]) {
    for (const transposeA of [false, true]) {
      for (const transposeB of [false, true]) {
        const aShape = [...batch, ...(transposeA ? [5, 4] : [4, 5])];
        const bShape = [...batch, ...(transposeB ? [6, 5] : [5, 6])];
        const av = values(
          aShape.reduce((x, y) => x * y),
          rng,
        );
        const bv = values(
          bShape.reduce((x, y) => x * y),
          rng,
        );
        const product = async (backend: string) => {
          await tf.setBackend(backend);
          const out = tf.tidy(() => tf.matMul(tf.tensor(av, aShape), tf.tensor(bv, bShape), transposeA, transposeB));
          const result = { shape: out.shape, data: await out.data() };
          out.dispose();
          return result;
        };
        const ref = await product('cpu');
        const got = await product('wasm');
        const label = JSON.stringify({ batch, transposeA, transposeB });
        assert.deepEqual(got.shape, ref.shape, label);
        assert.ok(maxAbsDiff(got.data, ref.data) < 1e-4, `${label}: ${maxAbsDiff(got.data, ref.data)}`);
      }
    }
  }
  await tf.setBackend('wasm');
});
