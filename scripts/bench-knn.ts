// Times the exact cosine k-NN (main/ml/cosine-knn.ts) and, in the same run on the same rows, the SPICE
// reference's torch einsum + topk (when python3 has torch), and checks both find the same neighbours.
// Usage: npm run bench:knn -- [--project <dir> | --n 10000 --dim 1024] [--k 100] [--block 1024]
// Rows: the project's plain embeddings, else seeded random unit vectors. The last line is one JSON object.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { cosineKnn } from '../main/ml/cosine-knn.ts';
import { openProject } from '../main/project/project.ts';
import { loadEmbeddingMatrix } from '../main/db/embeddings-repo.ts';
import { createRng } from '../main/base/random.ts';
import { writeNpyFloat32 } from '../main/pipeline/embed/npy.ts';

const { values } = parseArgs({
  options: {
    project: { type: 'string' },
    n: { type: 'string', default: '10000' },
    dim: { type: 'string', default: '1024' },
    k: { type: 'string', default: '100' },
    block: { type: 'string', default: '1024' },
  },
});
const k = Number(values.k);
const block = Number(values.block);
const { data, n, dim, source } = values.project ? projectRows(values.project) : randomRows(Number(values.n), Number(values.dim));
console.log(`rows: ${n} x ${dim} (${source}), k = ${k}, blocks of ${block}`);

const t0 = performance.now();
const ours = await cosineKnn(data, n, dim, k, { blockRows: block });
const oursSeconds = (performance.now() - t0) / 1000;
console.log(`cosineKnn (onnxruntime ${ours.provider}): ${oursSeconds.toFixed(2)} s`);

const reference = runTorch(data, n, dim, k, block);
let ratio: number | null = null;
let agreement: number | null = null;
if (reference) {
  ratio = oursSeconds / reference.seconds;
  agreement = neighbourAgreement(ours.indices, reference.indices, n, k);
  console.log(`torch ${reference.version} einsum + topk (${reference.threads} threads): ${reference.seconds.toFixed(2)} s`);
  console.log(`cosineKnn / torch time: ${ratio.toFixed(2)}; neighbour sets shared: ${(agreement * 100).toFixed(3)} %`);
}
console.log(
  JSON.stringify({
    n,
    dim,
    k,
    block,
    source,
    cosine_knn_s: round(oursSeconds),
    torch_s: reference ? round(reference.seconds) : null,
    ratio: ratio === null ? null : round(ratio),
    neighbour_agreement: agreement === null ? null : round(agreement, 5),
  }),
);

function projectRows(dir: string): { data: Float32Array; n: number; dim: number; source: string } {
  const project = openProject(dir);
  try {
    const backbone = project.db.prepare('SELECT backbone_id FROM embeddings GROUP BY backbone_id ORDER BY COUNT(*) DESC LIMIT 1').pluck().get() as number | undefined;
    if (backbone === undefined) throw new Error(`${dir} has no embeddings`);
    const m = loadEmbeddingMatrix(project.db, backbone, 'plain');
    const n = m.imageIds.length;
    for (let i = 0; i < n; i++) normalise(m.data.subarray(i * m.dim, (i + 1) * m.dim));
    return { data: m.data, n, dim: m.dim, source: `plain embeddings of ${dir}` };
  } finally {
    project.close();
  }
}

function randomRows(n: number, dim: number): { data: Float32Array; n: number; dim: number; source: string } {
  const rng = createRng(1);
  const data = new Float32Array(n * dim);
  for (let i = 0; i < data.length; i++) data[i] = rng.next() - 0.5;
  for (let i = 0; i < n; i++) normalise(data.subarray(i * dim, (i + 1) * dim));
  return { data, n, dim, source: 'seeded random unit vectors' };
}

function normalise(row: Float32Array): void {
  let norm = 0;
  for (const v of row) norm += v * v;
  norm = Math.sqrt(norm) || 1;
  for (let d = 0; d < row.length; d++) row[d] /= norm;
}

function runTorch(
  data: Float32Array,
  n: number,
  dim: number,
  k: number,
  block: number,
): { seconds: number; threads: number; version: string; indices: Int32Array } | null {
  const probe = spawnSync('python3', ['-c', 'import torch, numpy'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    console.log('torch: skipped (python3 with torch and numpy not found; pip install torch numpy to compare)');
    return null;
  }
  const scratch = mkdtempSync(join(tmpdir(), 'spice-bench-knn-'));
  try {
    const rowsPath = join(scratch, 'rows.npy');
    const outPath = join(scratch, 'indices.i32');
    writeNpyFloat32(rowsPath, data, n, dim);
    const script = fileURLToPath(new URL('./knn/torch-reference.py', import.meta.url));
    const line = execFileSync('python3', [script, '--rows', rowsPath, '--k', String(k), '--block', String(block), '--out', outPath], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .pop()!;
    const result = JSON.parse(line) as { seconds: number; threads: number; torch: string };
    const withSelf = new Int32Array(readFileSync(outPath).buffer.slice(0));
    return { seconds: result.seconds, threads: result.threads, version: result.torch, indices: dropSelf(withSelf, n, k) };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

function dropSelf(withSelf: Int32Array, n: number, k: number): Int32Array {
  const out = new Int32Array(n * k);
  for (let i = 0; i < n; i++) {
    let at = i * k;
    for (let c = 0; c <= k && at < (i + 1) * k; c++) {
      const j = withSelf[i * (k + 1) + c];
      if (j !== i) out[at++] = j;
    }
  }
  return out;
}

/** Share of (row, neighbour) pairs both lists contain; below 1 only where similarities tie. */
function neighbourAgreement(a: Int32Array, b: Int32Array, n: number, k: number): number {
  let shared = 0;
  for (let i = 0; i < n; i++) {
    const set = new Set(b.subarray(i * k, (i + 1) * k));
    for (let c = 0; c < k; c++) if (set.has(a[i * k + c])) shared++;
  }
  return shared / (n * k);
}

function round(v: number, digits = 3): number {
  return Number(v.toFixed(digits));
}
