// k-means speed on real embeddings (a project's plain view) or on synthetic unit vectors.
// Usage: npm run bench:kmeans -- [--project <dir>] [--n 10000] [--dim 1024] [--k 10] [--restarts 10] [--seed 0]
// Prints wall and CPU seconds (CPU time is the fairer figure on a shared machine); the last line is JSON.
import { parseArgs } from 'node:util';
import { openProject } from '../main/project/project.ts';
import { loadEmbeddingMatrix } from '../main/db/embeddings-repo.ts';
import { chooseEmbeddedBackbone } from '../main/pipeline/cluster/backbone-choice.ts';
import { kmeansSteps } from '../main/pipeline/cluster/kmeans.ts';
import { createRng } from '../main/base/random.ts';

const { values } = parseArgs({
  options: {
    project: { type: 'string' },
    n: { type: 'string', default: '10000' },
    dim: { type: 'string', default: '1024' },
    k: { type: 'string', default: '10' },
    restarts: { type: 'string', default: '10' },
    seed: { type: 'string', default: '0' },
  },
});
const k = Number(values.k);
const restarts = Number(values.restarts);
let data: Float32Array;
let n: number;
let dim: number;
let source: string;
if (values.project) {
  const project = openProject(values.project);
  const backbone = chooseEmbeddedBackbone(project.db);
  const m = loadEmbeddingMatrix(project.db, backbone.id);
  project.close();
  ({ data, dim } = m);
  n = m.imageIds.length;
  source = `${values.project} (${backbone.name})`;
} else {
  n = Number(values.n);
  dim = Number(values.dim);
  source = 'synthetic: unit vectors around 10 random directions';
  const rng = createRng(42);
  const centers = Array.from({ length: 10 }, () => Float32Array.from({ length: dim }, () => rng.next() - 0.5));
  data = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    let norm = 0;
    for (let d = 0; d < dim; d++) {
      const v = centers[i % 10][d] + (rng.next() - 0.5) * 1.5;
      data[i * dim + d] = v;
      norm += v * v;
    }
    for (let d = 0; d < dim; d++) data[i * dim + d] /= Math.sqrt(norm);
  }
}
console.log(`k-means on ${n} x ${dim} from ${source}, k=${k}, ${restarts} restarts`);
const wall0 = performance.now();
const cpu0 = process.cpuUsage();
const steps = kmeansSteps(data, n, dim, k, { seed: Number(values.seed), restarts });
let iterations = 0;
let result;
for (;;) {
  const r = steps.next();
  if (r.done) {
    result = r.value;
    break;
  }
  iterations++;
}
const wall = (performance.now() - wall0) / 1000;
const cpu = process.cpuUsage(cpu0);
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
console.log(`wall ${wall.toFixed(2)} s, CPU ${cpuSeconds.toFixed(2)} s, ${iterations} iterations over all restarts, inertia ${result.inertia.toFixed(3)}`);
console.log(JSON.stringify({ n, dim, k, restarts, wallSeconds: wall, cpuSeconds, iterations, inertia: result.inertia }));
