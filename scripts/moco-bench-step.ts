// The MoCo training step both step benchmarks time (bench:pretrain --kernels, bench:train-step):
// ResNet-18 width 8, batch 32, 32-px random inputs, one fixed shuffle, seeded.
import { resolvePretrainConfig } from '../main/ml/moco/config.ts';
import { MocoTrainer } from '../main/ml/moco/moco.ts';
import { Rng } from '../main/base/random.ts';

export const MOCO_BENCH_BATCH = 32;

/** A trainer and one step on fixed inputs; dispose() when done. */
export function mocoBenchStep(): { step: () => void; dispose: () => void } {
  const config = resolvePretrainConfig({ epochs: 1, width: 8, batchSize: MOCO_BENCH_BATCH, imageSize: 32 }, 1000, 32);
  const rng = new Rng(1);
  const trainer = MocoTrainer.create(config, rng);
  const n = MOCO_BENCH_BATCH * 32 * 32 * 3;
  const xq = Float32Array.from({ length: n }, () => rng.normal());
  const xk = Float32Array.from({ length: n }, () => rng.normal());
  const shuffle = rng.permutation(MOCO_BENCH_BATCH);
  return { step: () => trainer.step(xq, xk, shuffle, 0.01), dispose: () => trainer.dispose() };
}
