// Milliseconds per training step of the SPICE heads and of a MoCo step, on one TF.js backend.
// Usage: npm run bench:train-step -- [--backend wasm|cpu] [--repeats 5] [--only heads|moco]
// Heads: SPICE-Self at its defaults (10 heads, hidden 128, k 10; 1000 rows = 500 anchors + 500
// neighbours, 200 rows as on a 1,000-image project) on 128-dim (the default PCA width) and 512-dim
// inputs, and SPICE-Semi (1 head, hidden 256, 576 rows). MoCo: ResNet-18 width 8, batch 32, 32 px.
// The heads' loss gradient is a fixed array, so only the TF.js work is timed. Prints the median and
// the range of `repeats` timed runs of `steps` steps, in CPU time of this process (steadier than wall
// time on a shared machine; the wasm and cpu backends run on one thread) and in wall time.
import { parseArgs } from 'node:util';
import { tf, type TfBackendName } from '../main/ml/tf-backend.ts';
import { MlpHeads, type MlpHeadsSpec } from '../main/ml/mlp-heads.ts';
import { initTrainingBackend } from '../main/ml/moco/backend.ts';
import { mocoBenchStep } from './moco-bench-step.ts';
import { createRng } from '../main/base/random.ts';

const { values } = parseArgs({
  options: {
    backend: { type: 'string', default: 'wasm' },
    repeats: { type: 'string', default: '5' },
    only: { type: 'string' },
  },
});
const repeats = Number(values.repeats);
const backend = await initTrainingBackend(values.backend as TfBackendName);
console.log(backend.summary);

interface Row {
  label: string;
  cpu: { median: number; min: number; max: number };
  wallMedian: number;
}

function median(v: number[]): number {
  return [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
}

/** Runs `step` `steps` times per repeat, after one warm-up step. */
function measure(label: string, steps: number, step: () => void): Row {
  step();
  const cpu: number[] = [];
  const wall: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const c = process.cpuUsage();
    const t = performance.now();
    for (let i = 0; i < steps; i++) step();
    wall.push((performance.now() - t) / steps);
    const used = process.cpuUsage(c);
    cpu.push((used.user + used.system) / 1000 / steps);
  }
  const row = { label, cpu: { median: median(cpu), min: Math.min(...cpu), max: Math.max(...cpu) }, wallMedian: median(wall) };
  console.log(
    `${label.padEnd(40)} cpu ${row.cpu.median.toFixed(1).padStart(8)} ms/step (${row.cpu.min.toFixed(1)}-${row.cpu.max.toFixed(1)}, ${repeats} runs)  wall ${row.wallMedian.toFixed(1)} ms`,
  );
  return row;
}

function benchHeads(label: string, spec: MlpHeadsSpec, rows: number, steps: number) {
  const rng = createRng(1);
  const heads = MlpHeads.create(spec, rng.next);
  const x = Float32Array.from({ length: rows * spec.inputDim }, () => rng.next() - 0.5);
  const grad = Float32Array.from({ length: spec.heads * rows * spec.k }, () => (rng.next() - 0.5) * 1e-3);
  const row = measure(label, steps, () => heads.backward(heads.forward(x, rows), grad, { lr: 1e-3 }));
  heads.dispose();
  return row;
}

function benchMoco(label: string, steps: number) {
  const moco = mocoBenchStep();
  const row = measure(label, steps, moco.step);
  moco.dispose();
  return row;
}

const slow = backend.info.name === 'cpu';
const results: Row[] = [];
if (values.only !== 'moco') {
  results.push(benchHeads('self 10x(128->128->10), 200 rows', { inputDim: 128, hidden: 128, k: 10, heads: 10 }, 200, slow ? 5 : 30));
  results.push(benchHeads('self 10x(128->128->10), 1000 rows', { inputDim: 128, hidden: 128, k: 10, heads: 10 }, 1000, slow ? 2 : 10));
  results.push(benchHeads('self 10x(512->128->10), 1000 rows', { inputDim: 512, hidden: 128, k: 10, heads: 10 }, 1000, slow ? 1 : 5));
  results.push(benchHeads('semi 1x(128->256->10), 576 rows', { inputDim: 128, hidden: 256, k: 10, heads: 1 }, 576, slow ? 5 : 20));
}
if (values.only !== 'heads') results.push(benchMoco('moco resnet18 w8, batch 32, 32 px', slow ? 1 : 3));
console.log(JSON.stringify({ backend: backend.info.name, tensors: tf.memory().numTensors, results }));
