// The whole product on a large image set (npm run make:scale-set makes one): import, embedding (plain
// view, then the default view bank), k-means, SPICE, reopening the project, the app's first grid (over
// the real bridge: bench:first-grid), the 2-D map and the review queue's first and last pages.
// Per stage: seconds, images/s, peak RSS of this process (decode and map workers are threads of it), and
// the database size after it. Usage:
//   npm run bench:scale -- --images <dir> [--project <dir>] [--size <px>] [--k 10] [--seed 0]
// A --project that already holds the images resumes: stored work is skipped (each stage says so).
// The last line printed is one JSON object.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { openProject, projectDbPath, type Project } from '../main/project/project.ts';
import { DEFAULT_BACKBONE, DEFAULT_BANK_VIEWS } from '../main/app/full-pipeline.ts';
import { createServices } from '../main/app/services/index.ts';
import { importFolder } from '../main/pipeline/import/import-job.ts';
import { embedProject } from '../main/pipeline/embed/embed-job.ts';
import { runKmeans } from '../main/pipeline/cluster/run-kmeans.ts';
import { runSpice } from '../main/pipeline/cluster/spice.ts';
import { evaluateRun, hasGroundTruth } from '../main/pipeline/cluster/evaluate.ts';

const { values } = parseArgs({
  options: {
    images: { type: 'string' },
    project: { type: 'string' },
    size: { type: 'string' },
    k: { type: 'string', default: '10' },
    seed: { type: 'string', default: '0' },
  },
});
if (!values.images) throw new Error('usage: npm run bench:scale -- --images <dir> [--project <dir>] [--size <px>] [--k 10] [--seed 0]');
const images = resolve(values.images);
const dir = resolve(values.project ?? mkdtempSync(join(tmpdir(), 'spice-bench-scale-')));
const size = values.size ? Number(values.size) : undefined;
const k = Number(values.k);
const seed = Number(values.seed);

interface StageFigures {
  stage: string;
  seconds: number;
  images_per_s: number | null;
  peak_rss_mb: number;
  db_mb: number;
  note?: string;
}
const stages: StageFigures[] = [];
const extra: Record<string, unknown> = {};

async function stage<T>(name: string, count: (result: T) => number | null, work: () => Promise<T>, note?: (result: T) => string): Promise<T> {
  resetPeakRss();
  const t0 = performance.now();
  const result = await work();
  const seconds = (performance.now() - t0) / 1000;
  const n = count(result);
  const figures: StageFigures = {
    stage: name,
    seconds: round(seconds, 3),
    images_per_s: n === null ? null : round(n / seconds, 1),
    peak_rss_mb: peakRssMb(),
    db_mb: dbMb(),
  };
  if (note) figures.note = note(result);
  stages.push(figures);
  console.log(
    `${name}: ${seconds < 10 ? seconds.toFixed(3) : seconds.toFixed(1)} s${n === null ? '' : `, ${n} items (${figures.images_per_s}/s)`}, peak RSS ${figures.peak_rss_mb} MB, database ${figures.db_mb} MB` +
      (figures.note ? ` (${figures.note})` : ''),
  );
  return result;
}

console.log(`project: ${dir}`);
let project: Project = openProject(dir);
await stage(
  'import',
  (r) => r.added,
  () => importFolder(project, images, { labelsFromFolders: true }),
  (r) => `${r.added} added, ${r.alreadyPresent} already there, ${r.duplicates} duplicates, ${r.errors.length} errors`,
);
const plain = await stage(
  'embed plain',
  (r) => r.computed,
  () => embedProject(project, { backbone: DEFAULT_BACKBONE, size, seed }),
  (r) => `${r.backboneName} at ${r.inputSize} px on ${r.provider}`,
);
await stage(
  'embed view bank',
  (r) => r.computed,
  () => embedProject(project, { backbone: DEFAULT_BACKBONE, size, seed, views: DEFAULT_BANK_VIEWS }),
  (r) => `${r.views.length} views`,
);
const n = project.db.prepare('SELECT COUNT(*) FROM images').pluck().get() as number;
const kmeansRun = await stage(
  'k-means',
  () => n,
  () => runKmeans(project, { backbone: plain.backboneName, k, seed }),
);
const spiceRun = await stage(
  'SPICE',
  () => n,
  () => runSpice(project, { backbone: plain.backboneName, k, seed }),
);
if (hasGroundTruth(project.db)) {
  extra.kmeans_acc = round(evaluateRun(project.db, kmeansRun).metrics.acc, 4);
  extra.spice_acc = round(evaluateRun(project.db, spiceRun).metrics.acc, 4);
}
console.log(`ACC against the folder labels: k-means ${extra.kmeans_acc ?? '-'}, SPICE ${extra.spice_acc ?? '-'}`);
project.close();

const reopen = await stage(
  'open project',
  () => null,
  async () => {
    project = openProject(dir);
    return project.db.prepare('SELECT COUNT(*) FROM images').pluck().get() as number;
  },
);
project.close();
extra.open_ms = Math.round(stages.at(-1)!.seconds * 1000);
extra.images = reopen;

const grid = JSON.parse(
  execFileSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'bench-first-grid.ts'), '--project', dir, '--repeat', '3'], {
    encoding: 'utf8',
    maxBuffer: 1 << 24,
  })
    .trim()
    .split('\n')
    .pop()!,
) as { cold_first_grid_ms: number; median_first_grid_ms: number };
console.log(`first grid over the bridge (bench:first-grid): cold ${grid.cold_first_grid_ms} ms, median ${grid.median_first_grid_ms} ms`);
extra.first_grid_cold_ms = grid.cold_first_grid_ms;
extra.first_grid_median_ms = grid.median_first_grid_ms;

const services = createServices({ platform: 'browser', stateDir: mkdtempSync(join(tmpdir(), 'spice-bench-scale-state-')) });
try {
  await services.api.projects.open({ dir });
  const map = await stage(
    'map (compute)',
    (r) => r.points.length,
    () => services.api.map.projection({ runId: spiceRun }),
    (r) => `${r.points.length} points${r.cached ? ', stored earlier' : ''}`,
  );
  await stage(
    'map (stored)',
    (r) => r.points.length,
    () => services.api.map.projection({ runId: spiceRun }),
  );
  extra.map_points = map.points.length;
  const first = await stage(
    'review queue first page',
    () => null,
    () => services.api.review.queue({ runId: spiceRun, offset: 0, limit: 100 }),
  );
  await stage(
    'review queue last page',
    () => null,
    () => services.api.review.queue({ runId: spiceRun, offset: Math.max(0, first.total - 100), limit: 100 }),
    (r) => `offset ${r.offset} of ${r.total}`,
  );
} finally {
  services.dispose();
}

const peak = Math.max(...stages.map((s) => s.peak_rss_mb));
console.log(`peak RSS over all stages: ${peak} MB; database ${dbMb()} MB`);
console.log(JSON.stringify({ bench: 'scale', images: extra.images, project: dir, size: plain.inputSize, k, seed, stages, peak_rss_mb: peak, ...extra }));

function dbMb(): number {
  const path = projectDbPath(dir);
  let bytes = existsSync(path) ? statSync(path).size : 0;
  if (existsSync(`${path}-wal`)) bytes += statSync(`${path}-wal`).size;
  return round(bytes / 2 ** 20, 1);
}

/** Linux: the high-water mark is reset per stage (clear_refs 5); elsewhere the process-wide peak. */
function resetPeakRss(): void {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
  } catch {
    // not Linux, or not allowed: peakRssMb reports the peak since the start
  }
}

function peakRssMb(): number {
  try {
    const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    if (hwm) return Math.round(Number(hwm[1]) / 1024);
  } catch {
    // fall through
  }
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

function round(v: number, digits = 2): number {
  return Number(v.toFixed(digits));
}
