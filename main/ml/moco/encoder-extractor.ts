// A MoCo encoder (its stored parameters and buffers) as a FeatureExtractor for the embedding stage:
// NCHW batches in, the encoder's pooled features out, batch norm folded into the convolutions.
// main/models/project-backbone.ts reads a backbone trained in the project from its database into one.
import type { FeatureExtractor } from '../feature-extractor.ts';
import { tf } from '../tf-backend.ts';
import { initTrainingBackend } from './backend.ts';
import type { EncoderSpec } from './config.ts';
import type { TensorMap } from './layers.ts';
import type { NamedArray } from './moco.ts';
import { disposeFolded, foldEncoder, foldedForward, type FoldedEncoder } from './resnet.ts';

/** Images per forward pass: bounds memory on large inputs. */
const CHUNK = 64;

/** For a project's trained backbone, and for the untrained network in the benchmark, so both go through the same code. */
export async function createEncoderExtractor(spec: EncoderSpec, arrays: NamedArray[], inputSize: number): Promise<FeatureExtractor> {
  const backend = await initTrainingBackend();
  const params: TensorMap = new Map();
  const buffers: TensorMap = new Map();
  for (const a of arrays) (a.name.endsWith('.mean') || a.name.endsWith('.var') ? buffers : params).set(a.name, tf.tensor(a.data, a.shape));
  let folded: FoldedEncoder | null;
  try {
    folded = foldEncoder(spec, params, buffers);
  } finally {
    tf.dispose([...params.values(), ...buffers.values()]);
  }
  const per = 3 * inputSize * inputSize;
  return {
    dim: spec.featureDim,
    inputSize,
    provider: `tfjs-${backend.info.name}`,
    async run(batch, n) {
      if (!folded) throw new Error('extractor is closed');
      if (batch.length < n * per) throw new Error(`batch holds ${batch.length} values, ${n} images of ${inputSize}x${inputSize} need ${n * per}`);
      const out = new Float32Array(n * spec.featureDim);
      for (let start = 0; start < n; start += CHUNK) {
        const take = Math.min(CHUNK, n - start);
        const feats = tf.tidy(() => {
          const nchw = tf.tensor4d(batch.subarray(start * per, (start + take) * per), [take, 3, inputSize, inputSize]);
          return foldedForward(folded!, tf.transpose(nchw, [0, 2, 3, 1]) as tf.Tensor4D);
        });
        out.set(await feats.data(), start * spec.featureDim);
        feats.dispose();
      }
      return out;
    },
    async close() {
      if (folded) disposeFolded(folded);
      folded = null;
    },
  };
}
