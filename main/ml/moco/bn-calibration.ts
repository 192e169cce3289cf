// Batch-norm statistics estimated on data: running mean/var replaced by the average batch statistics
// of plain images. An untrained network's stored statistics (0 and 1) say nothing about its
// activations, so a fair "random initialisation" baseline calibrates them first.
import { tf } from '../tf-backend.ts';
import type { EncoderSpec } from './config.ts';
import type { LayerContext, TensorMap } from './layers.ts';
import type { NamedArray } from './moco.ts';
import { encoderForward } from './resnet.ts';

/**
 * `batches` yields normalised NHWC batches; returns the encoder's arrays with running statistics set
 * to the mean over batches of the batch mean and (unbiased) variance.
 */
export async function calibrateBatchNorm(
  spec: EncoderSpec,
  arrays: NamedArray[],
  batches: AsyncIterable<{ data: Float32Array; n: number; size: number }>,
): Promise<NamedArray[]> {
  const params: TensorMap = new Map();
  let buffers: TensorMap = new Map();
  for (const a of arrays) (a.name.endsWith('.mean') || a.name.endsWith('.var') ? buffers : params).set(a.name, tf.tensor(a.data, a.shape));
  let count = 0;
  try {
    for await (const b of batches) {
      // Momentum 1/(count+1) turns the moving average into a plain average over batches.
      const updates: TensorMap = new Map();
      const ctx: LayerContext = { params, buffers, bn: { kind: 'batch', splits: 1, momentum: 1 / (count + 1), updates } };
      tf.tidy(() => {
        encoderForward(spec, ctx, tf.tensor4d(b.data.subarray(0, b.n * b.size * b.size * 3), [b.n, b.size, b.size, 3]));
        for (const t of updates.values()) tf.keep(t);
      });
      for (const [name, t] of updates) {
        buffers.get(name)!.dispose();
        buffers.set(name, t);
      }
      count++;
    }
    const out: NamedArray[] = [];
    for (const a of arrays) {
      const t = buffers.get(a.name);
      out.push(t ? { name: a.name, shape: a.shape, data: (await t.data()) as Float32Array } : a);
    }
    return out;
  } finally {
    tf.dispose([...params.values(), ...buffers.values()]);
    buffers = new Map();
  }
}
