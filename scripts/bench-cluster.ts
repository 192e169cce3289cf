// k-means and SPICE side by side on one image folder (or an existing project): stage times, peak
// memory, ACC/NMI/ARI against the folder names.
// Usage: npm run bench:cluster -- --images <folder> --model <onnx> --k <n>
//          [--project <dir>]   reuse an imported+embedded project (its project.sqlite is COPIED to a temp
//                              folder first, so the source is never written; --in-place writes into it)
//          [--seed N] [--no-kmeans] [--spice '<json of SpiceOptions overrides>'] [--keep]
// Examples (docs/spice.md):
//   npm run bench:cluster -- --images ../shared/datasets/cifar10-test --model ../shared/models/mobilenet_v1_1.0_imagenet_features.onnx --k 10
//   npm run bench:cluster -- --project /tmp/cifar10k --k 10 --spice '{"semiEpochs":0}'
// The last line printed is one JSON object.
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openProject, projectDbPath, type Project } from '../main/project/project.ts';
import { importFolder } from '../main/pipeline/import/import-job.ts';
import { embedProject } from '../main/pipeline/embed/embed-job.ts';
import { runKmeans } from '../main/pipeline/cluster/run-kmeans.ts';
import { runSpice, type SpiceOptions } from '../main/pipeline/cluster/spice.ts';
import { evaluateRun } from '../main/pipeline/cluster/evaluate.ts';
import { getRun, loadAssignments } from '../main/db/runs-repo.ts';
import { activeTfBackend } from '../main/ml/tf-backend.ts';
import { createProgressPrinter } from '../main/cli/progress-printer.ts';
import { DEFAULT_BANK_VIEWS } from '../main/app/full-pipeline.ts';

const { values } = parseArgs({
  options: {
    images: { type: 'string' },
    model: { type: 'string' },
    k: { type: 'string' },
    project: { type: 'string' },
    'in-place': { type: 'boolean', default: false },
    seed: { type: 'string', default: '0' },
    'no-kmeans': { type: 'boolean', default: false },
    spice: { type: 'string' },
    keep: { type: 'boolean', default: false },
    quiet: { type: 'boolean', default: false },
  },
});

function fail(message: string): never {
  console.error(`bench:cluster: ${message}`);
  process.exit(2);
}

const k = Number(values.k ?? NaN);
if (!Number.isInteger(k) || k < 2) fail('--k <n> (an integer of at least 2) is required');
const seed = Number(values.seed);
if (!Number.isInteger(seed)) fail(`--seed must be an integer, got ${values.seed}`);
if (!values.project && (!values.images || !values.model)) fail('give --images <folder> and --model <onnx>, or --project <dir>');
let overrides: Partial<SpiceOptions> = {};
if (values.spice) {
  try {
    overrides = JSON.parse(values.spice) as Partial<SpiceOptions>;
  } catch (err) {
    fail(`--spice is not valid JSON: ${(err as Error).message}`);
  }
}

const seconds: Record<string, number> = {};
const rssPeak = () => Math.round(process.resourceUsage().maxRSS / 1024);
let scratch: string | null = null;
let project: Project;
if (values.project) {
  if (!existsSync(projectDbPath(values.project))) fail(`${values.project} holds no project.sqlite`);
  if (values['in-place']) project = openProject(values.project);
  else {
    scratch = mkdtempSync(join(tmpdir(), 'spice-bench-cluster-'));
    const t = performance.now();
    for (const suffix of ['', '-wal']) {
      const src = projectDbPath(values.project) + suffix;
      if (existsSync(src)) copyFileSync(src, projectDbPath(scratch) + suffix);
    }
    seconds.copy = round((performance.now() - t) / 1000);
    project = openProject(scratch);
  }
} else {
  scratch = mkdtempSync(join(tmpdir(), 'spice-bench-cluster-'));
  project = openProject(scratch);
}

const stopPrinting = values.quiet ? () => {} : project.jobs.onEvent(createProgressPrinter(process.stderr));
process.once('SIGINT', () => project.jobs.cancelAll());
try {
  let backbone: string | undefined;
  if (!values.project) {
    let t = performance.now();
    const imported = await importFolder(project, values.images!, { labelsFromFolders: true });
    seconds.import = round((performance.now() - t) / 1000);
    console.log(`import: ${imported.added} images, ${imported.errors.length} errors, ${seconds.import} s`);
    t = performance.now();
    const embedded = await embedProject(project, { backbone: values.model!, views: DEFAULT_BANK_VIEWS, seed });
    seconds.embed = round((performance.now() - t) / 1000);
    backbone = embedded.backboneName;
    console.log(`embed: ${embedded.computed} vectors (${embedded.views.join(', ')}) at ${embedded.inputSize} px, ${seconds.embed} s`);
  }
  const n = (project.db.prepare('SELECT COUNT(*) AS n FROM images').get() as { n: number }).n;

  let kmeansScores: Scores | null = null;
  if (!values['no-kmeans']) {
    const t = performance.now();
    const kmeansRun = await runKmeans(project, { backbone, k, seed });
    seconds.kmeans = round((performance.now() - t) / 1000);
    kmeansScores = scores(project, kmeansRun);
  }

  const t = performance.now();
  const spiceRun = await runSpice(project, { ...overrides, backbone, k, seed });
  seconds.spice = round((performance.now() - t) / 1000);
  const run = getRun(project.db, spiceRun)!;
  for (const [stage, s] of Object.entries(run.timings ?? {})) if (stage !== 'total') seconds[`spice/${stage}`] = s;
  const report = run.report as {
    spiceSelfRun?: number;
    reliable?: { total: number; relaxations: Array<{ message: string }> };
    self?: { selectedHead: number; headLosses: number[] };
  };
  const spiceScores = scores(project, spiceRun);
  const doubt = doubtAuroc(project, spiceRun);
  const selfScores = report.spiceSelfRun ? scores(project, report.spiceSelfRun) : null;

  console.log('');
  console.log(`${n} images, k=${k}, seed ${seed}, TensorFlow.js backend: ${activeTfBackend()?.description ?? 'none'}`);
  console.log(
    'stage seconds: ' +
      Object.entries(seconds)
        .map(([s, v]) => `${s} ${v}`)
        .join(', '),
  );
  console.log(`peak RSS: ${rssPeak()} MB`);
  if (report.self) console.log(`SPICE-Self: head ${report.self.selectedHead} kept (lowest loss of ${report.self.headLosses.length})`);
  if (report.reliable) {
    console.log(`reliable samples: ${report.reliable.total}`);
    for (const r of report.reliable.relaxations) console.log(`  relaxed: ${r.message}`);
  }
  console.log(
    `doubt ranks the SPICE run's errors (ACC mapping) with AUROC ${doubt.doubt} (confidence alone ${doubt.confidence}, neighbour agreement alone ${doubt.neighbours})`,
  );
  console.log('method       ACC     NMI     ARI');
  for (const [name, s] of [
    ['k-means', kmeansScores],
    ['SPICE-Self', selfScores],
    ['SPICE', spiceScores],
  ] as const) {
    if (s) console.log(`${name.padEnd(12)} ${s.acc.toFixed(4)}  ${s.nmi.toFixed(4)}  ${s.ari.toFixed(4)}`);
  }
  const json: Record<string, unknown> = {
    images: n,
    backend: activeTfBackend()?.name ?? 'none',
    seconds,
    peak_rss_mb: rssPeak(),
    kmeans: kmeansScores,
    spice: spiceScores,
  };
  if (selfScores) json.spice_self = selfScores;
  json.doubt_auroc = doubt;
  console.log(JSON.stringify(json));
} finally {
  stopPrinting();
  project.close();
  if (scratch && !values.keep) rmSync(scratch, { recursive: true, force: true });
  else if (scratch) console.error(`kept ${scratch}`);
}

interface Scores {
  acc: number;
  nmi: number;
  ari: number;
}

function scores(p: Project, runId: number): Scores {
  const m = evaluateRun(p.db, runId).metrics;
  return { acc: round(m.acc, 4), nmi: round(m.nmi, 4), ari: round(m.ari, 4) };
}

/**
 * How well a score ranks the run's misassigned images first (evaluation only): AUROC of doubt, of
 * 1 - confidence, and of 1 - neighbour agreement (recovered as 2 (1 - doubt) - confidence).
 */
function doubtAuroc(p: Project, runId: number): { doubt: number; confidence: number; neighbours: number } {
  const e = evaluateRun(p.db, runId);
  const label = new Map((p.db.prepare('SELECT id, label FROM images').all() as Array<{ id: number; label: string | null }>).map((r) => [r.id, r.label]));
  const rows = loadAssignments(p.db, runId).filter((r) => label.get(r.imageId) !== null);
  const wrong = rows.map((r) => e.metrics.mapping.get(r.cluster) !== label.get(r.imageId));
  const auroc = (score: number[]) => {
    const order = score.map((s, i) => [s, i] as const).sort((a, b) => a[0] - b[0]);
    let rankSum = 0;
    let positives = 0;
    // Average ranks over ties.
    for (let start = 0; start < order.length;) {
      let end = start;
      while (end + 1 < order.length && order[end + 1][0] === order[start][0]) end++;
      const rank = (start + end) / 2 + 1;
      for (let j = start; j <= end; j++) {
        if (wrong[order[j][1]]) {
          rankSum += rank;
          positives++;
        }
      }
      start = end + 1;
    }
    const negatives = order.length - positives;
    return positives && negatives ? round((rankSum - (positives * (positives + 1)) / 2) / (positives * negatives), 4) : NaN;
  };
  return {
    doubt: auroc(rows.map((r) => r.doubt)),
    confidence: auroc(rows.map((r) => 1 - r.confidence)),
    neighbours: auroc(rows.map((r) => 1 - (2 * (1 - r.doubt) - r.confidence))),
  };
}

function round(v: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}
