// How far label-free clustering can go on a project's embeddings (docs/spice.md, "Why not 0.58"):
//  - k-NN accuracy (what the neighbourhoods know, given labels);
//  - how often an image's nearest neighbours share its TRUE class versus its k-means cluster: every
//    objective that rewards neighbourhood agreement (k-means, SCAN, SPICE's consistency) prefers the
//    partition with the higher share;
//  - purity of k-means with many clusters: the ACC a perfect many-to-one merge of them would reach.
// Ground truth is used here for analysis only. Usage:
//   node --import tsx scripts/analyze-spice-ceiling.ts --project <dir> [--k 10] [--over 20,50,100]
// The last line printed is one JSON object.
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openDatabase } from '../main/db/connection.ts';
import { projectDbPath } from '../main/project/project.ts';
import { loadEmbeddingMatrix } from '../main/db/embeddings-repo.ts';
import { chooseEmbeddedBackbone } from '../main/pipeline/cluster/backbone-choice.ts';
import { kmeans } from '../main/pipeline/cluster/kmeans.ts';
import { clusteringMetrics } from '../main/pipeline/cluster/metrics.ts';
import { knn } from '../main/pipeline/cluster/knn.ts';
import { initTfBackend } from '../main/ml/tf-backend.ts';

const { values } = parseArgs({
  options: { project: { type: 'string' }, k: { type: 'string', default: '10' }, over: { type: 'string', default: '20,50,100' }, seed: { type: 'string', default: '0' } },
});
if (!values.project) {
  console.error('usage: analyze-spice-ceiling --project <dir> [--k 10] [--over 20,50,100]');
  process.exit(2);
}
const k = Number(values.k);
const seed = Number(values.seed);
// A private copy: the source project is never written (opening brings its schema up to date).
const scratch = mkdtempSync(join(tmpdir(), 'spice-ceiling-'));
copyFileSync(projectDbPath(values.project), projectDbPath(scratch));
const db = openDatabase(projectDbPath(scratch));
await initTfBackend();
const backbone = chooseEmbeddedBackbone(db);
const m = loadEmbeddingMatrix(db, backbone.id, 'plain');
const labelOf = new Map((db.prepare('SELECT id, label FROM images').all() as Array<{ id: number; label: string | null }>).map((r) => [r.id, r.label]));
const truth = m.imageIds.map((id) => labelOf.get(id) ?? null);
if (truth.some((t) => t === null)) throw new Error('every image needs a ground-truth label for this analysis');
const n = m.imageIds.length;
const classIndex = new Map([...new Set(truth as string[])].sort().map((c, i) => [c, i]));
const y = Int32Array.from(truth as string[], (t) => classIndex.get(t)!);

const graph = await knn(m.data, n, m.dim, 20);
const agreement = (labels: Int32Array, depth: number) => {
  let same = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < depth; j++) if (labels[graph.indices[i * graph.k + j]] === labels[i]) same++;
  return same / (n * depth);
};
let knnCorrect = 0;
for (let i = 0; i < n; i++) {
  const votes = new Map<number, number>();
  for (let j = 0; j < 20; j++) {
    const c = y[graph.indices[i * graph.k + j]];
    votes.set(c, (votes.get(c) ?? 0) + 1);
  }
  const best = [...votes.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0][0];
  if (best === y[i]) knnCorrect++;
}
const km = kmeans(m.data, n, m.dim, k, { seed, restarts: 10 });
const kmAcc = clusteringMetrics(Array.from(y), Array.from(km.labels)).acc;
const result: Record<string, unknown> = {
  images: n,
  knn20_acc: round(knnCorrect / n),
  kmeans_acc: round(kmAcc),
  neighbour_agreement: Object.fromEntries([1, 5, 20].map((d) => [`nn${d}`, { truth: round(agreement(y, d)), kmeans: round(agreement(km.labels, d)) }])),
};
const purity: Record<string, number> = {};
for (const kk of values.over.split(',').map(Number)) {
  const over = kmeans(m.data, n, m.dim, kk, { seed, restarts: 3 });
  purity[`k${kk}`] = round(clusteringMetrics(Array.from(y), Array.from(over.labels)).purity);
}
result.overclustering_purity = purity;
console.log(`${n} images (${backbone.name}): 20-NN accuracy ${result.knn20_acc}, k-means ACC ${result.kmeans_acc}`);
for (const [d, v] of Object.entries(result.neighbour_agreement as Record<string, { truth: number; kmeans: number }>)) {
  console.log(`  share of ${d.slice(2)} nearest neighbours in the same true class ${v.truth}, in the same k-means cluster ${v.kmeans}`);
}
for (const [kk, p] of Object.entries(purity)) console.log(`  k-means with ${kk.slice(1)} clusters: purity ${p} (= ACC of a perfect many-to-one merge)`);
console.log(JSON.stringify(result));
db.close();
rmSync(scratch, { recursive: true, force: true });

function round(v: number): number {
  return Math.round(v * 10000) / 10000;
}
