// Imports a folder into a throw-away project, embeds it, and compares the end-to-end embedding rate with
// onnxruntime's own rate on ready-made tensors of the same shape (the ceiling).
// Usage: npm run bench:embed -- --images <folder> --model <onnx|registry-name> [--size <px>] [--limit N]
//        [--batch N] [--workers N] [--views weak=4,strong=4,fixed=4] [--repeat N (default 5)]
// The last line printed is one JSON object.
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { openProject } from '../main/project/project.ts';
import { importFolder } from '../main/pipeline/import/import-job.ts';
import { createExtractor, embedProject, type EmbedSummary } from '../main/pipeline/embed/embed-job.ts';
import { deleteEmbeddings } from '../main/db/embeddings-repo.ts';
import { DEFAULT_BATCH_SIZE, defaultDecodeWorkers, type BatchTiming } from '../main/pipeline/embed/batch-pipeline.ts';
import { parseViewCounts } from '../main/pipeline/embed/views.ts';
import { resolveBackbone } from '../main/models/resolve-backbone.ts';
import type { BackboneRecord } from '../main/db/backbones-repo.ts';
import { CIFAR_FULL_DIR as CIFAR_DIR } from '../test/helpers/shared-data.ts';
import { MOBILENET_V1 } from '../test/helpers/paths.ts';

const { values } = parseArgs({
  options: {
    images: { type: 'string' },
    model: { type: 'string' },
    size: { type: 'string' },
    limit: { type: 'string' },
    batch: { type: 'string' },
    workers: { type: 'string' },
    views: { type: 'string' },
    repeat: { type: 'string' },
  },
});
const folder = values.images ?? CIFAR_DIR;
const model = values.model ?? MOBILENET_V1;
const size = values.size ? Number(values.size) : undefined;
const limit = values.limit ? Number(values.limit) : undefined;
const batchSize = values.batch ? Number(values.batch) : DEFAULT_BATCH_SIZE;
const workers = values.workers ? Number(values.workers) : undefined;
const views = values.views ? parseViewCounts(values.views) : undefined;
const repeat = values.repeat ? Number(values.repeat) : 5;
if (!Number.isInteger(repeat) || repeat < 1) throw new Error(`--repeat must be a positive integer, got ${values.repeat}`);

const scratch = mkdtempSync(join(tmpdir(), 'spice-bench-embed-'));
const project = openProject(join(scratch, 'project'));
try {
  const source = limit ? sampleFolder(folder, limit, join(scratch, 'images')) : folder;

  const t0 = performance.now();
  const imported = await importFolder(project, source, { labelsFromFolders: true });
  const importSeconds = (performance.now() - t0) / 1000;
  console.log(
    `import: ${imported.added} images in ${importSeconds.toFixed(1)} s (${(imported.added / importSeconds).toFixed(0)} images/s), ${imported.errors.length} errors`,
  );

  // The ceiling: the same backbone on a ready-made tensor, nothing else running, measured before and
  // after each end-to-end run and averaged, so a change in the machine's speed during the run (a shared
  // host) moves both sides of the ratio alike. Repeated (vectors deleted in between); medians reported.
  const backbone = await resolveBackbone(project, model, { size });
  const ceilingBatches = Math.max(4, Math.min(40, Math.ceil(imported.added / batchSize)));
  const runs: Run[] = [];
  for (let r = 0; r < repeat; r++) {
    if (r > 0) deleteEmbeddings(project.db, backbone.id);
    const run = await measureRun(backbone, ceilingBatches);
    runs.push(run);
    console.log(
      `run ${r + 1}/${repeat}: ${run.vectors} vectors (${run.summary.views.length} views) at ${run.summary.inputSize} px on ${run.summary.provider}: ` +
        `${run.endToEnd.toFixed(1)}/s end to end (${run.summary.rate.toFixed(1)}/s once the model was open), inference only ${run.ceiling.toFixed(1)}/s ` +
        `(${run.before.rate.toFixed(1)} before, ${run.after.rate.toFixed(1)} after): share ${run.share.toFixed(2)}`,
    );
  }
  const last = runs[runs.length - 1];
  const timings = runs.flatMap((r) => r.timings);
  const total = timings.map((t) => t.waitMs + t.inferMs + t.storeMs);
  const infer = timings.map((t) => t.inferMs);
  const wait = timings.map((t) => t.waitMs);
  const decode = timings.map((t) => t.decodeMs);
  console.log(`batch latency ms p50/p90/p99: ${pct(total).join(' / ')} (inference ${pct(infer).join(' / ')}, waiting for decoded input ${pct(wait).join(' / ')})`);
  console.log(`decode per batch in a worker, overlapped with inference, ms p50/p90/p99: ${pct(decode).join(' / ')}`);
  const endToEnd = median(runs.map((r) => r.endToEnd));
  const ceiling = median(runs.map((r) => r.ceiling));
  const share = median(runs.map((r) => r.share));
  const embedCpuMs = median(runs.map((r) => r.cpuMs));
  const inferenceCpuMs = median(runs.map((r) => (r.before.cpuMs + r.after.cpuMs) / 2));
  console.log(
    `embed: ${last.vectors} vectors with ${last.summary.backboneName}, batch ${batchSize}, ${workers ?? defaultDecodeWorkers()} decode workers, ` +
      `${last.summary.failed.length} failed; median of ${repeat}: ${endToEnd.toFixed(1)}/s end to end`,
  );
  console.log(`inference only: median ${ceiling.toFixed(1)} images/s on ready-made ${batchSize} x 3 x ${backbone.inputSize} x ${backbone.inputSize} tensors`);
  console.log(
    `end to end as a share of inference only: ${share.toFixed(2)} (median of ${runs.map((r) => r.share.toFixed(2)).join(', ')}; each against the rate around it)`,
  );
  console.log(`CPU time per image: ${embedCpuMs.toFixed(2)} ms end to end (all threads), ${inferenceCpuMs.toFixed(2)} ms inference only`);
  console.log(
    `load average at the end: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')} on ${availableParallelism()} cores`,
  );
  const peakRssMb = process.resourceUsage().maxRSS / 1024;
  console.log(`peak RSS: ${peakRssMb.toFixed(0)} MB`);
  console.log(
    JSON.stringify({
      images: imported.added,
      vectors: last.vectors,
      views: last.summary.views.length,
      size: last.summary.inputSize,
      batch: batchSize,
      workers: workers ?? defaultDecodeWorkers(),
      provider: last.summary.provider,
      repeats: repeat,
      import_images_per_s: round(imported.added / importSeconds),
      embed_images_per_s: round(endToEnd),
      embed_pipeline_images_per_s: round(median(runs.map((r) => r.summary.rate))),
      inference_only_images_per_s: round(ceiling),
      end_to_end_share: Math.round(share * 100) / 100,
      end_to_end_shares: runs.map((r) => Math.round(r.share * 100) / 100),
      embed_cpu_ms_per_image: round(embedCpuMs),
      inference_cpu_ms_per_image: round(inferenceCpuMs),
      load_average: round(loadavg()[0]),
      batch_latency_ms: { p50: pct(total)[0], p90: pct(total)[1], p99: pct(total)[2] },
      peak_rss_mb: Math.round(peakRssMb),
    }),
  );
} finally {
  project.close();
  rmSync(scratch, { recursive: true, force: true });
}

interface Run {
  summary: EmbedSummary;
  vectors: number;
  endToEnd: number;
  before: { rate: number; cpuMs: number };
  after: { rate: number; cpuMs: number };
  ceiling: number;
  share: number;
  /** CPU time of all threads of this process (decode workers included) per vector: on a shared machine a steadier measure of the work than wall time. */
  cpuMs: number;
  timings: BatchTiming[];
}

/** One end-to-end embedding of every image, between two measures of the backbone alone. */
async function measureRun(backbone: BackboneRecord, ceilingBatches: number): Promise<Run> {
  const before = await inferenceOnly(backbone, Math.ceil(ceilingBatches / 2));
  const timings: BatchTiming[] = [];
  const cpu0 = cpuSeconds();
  const t = performance.now();
  const summary = await embedProject(project, { backbone: model, size, batchSize, workers, views, onTiming: (x) => timings.push(x) });
  const seconds = (performance.now() - t) / 1000;
  const cpuMs = ((cpuSeconds() - cpu0) * 1000) / Math.max(1, summary.computed);
  const after = await inferenceOnly(backbone, Math.floor(ceilingBatches / 2));
  const endToEnd = summary.computed / seconds;
  const ceiling = (before.rate + after.rate) / 2;
  return { summary, vectors: summary.computed, endToEnd, before, after, ceiling, share: endToEnd / ceiling, cpuMs, timings };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Images per second and CPU ms per image of the backbone alone on a ready-made batch tensor. */
async function inferenceOnly(backbone: BackboneRecord, batches: number): Promise<{ rate: number; cpuMs: number }> {
  const extractor = await createExtractor(project, backbone);
  try {
    const tensor = new Float32Array(batchSize * 3 * backbone.inputSize * backbone.inputSize);
    for (let i = 0; i < tensor.length; i++) tensor[i] = Math.sin(i) * 0.9;
    await extractor.run(tensor, batchSize);
    const cpu = cpuSeconds();
    const t = performance.now();
    for (let b = 0; b < batches; b++) await extractor.run(tensor, batchSize);
    const seconds = (performance.now() - t) / 1000;
    return { rate: (batches * batchSize) / seconds, cpuMs: ((cpuSeconds() - cpu) * 1000) / (batches * batchSize) };
  } finally {
    await extractor.close();
  }
}

function pct(xs: number[]): [number, number, number] {
  if (xs.length === 0) return [0, 0, 0];
  const s = [...xs].sort((a, b) => a - b);
  const at = (p: number) => round(s[Math.min(s.length - 1, Math.floor(p * s.length))]);
  return [at(0.5), at(0.9), at(0.99)];
}

function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}

/** Copies `limit` image files spread evenly over the folder's sorted file list (keeping subfolders). */
function sampleFolder(from: string, limit: number, to: string): string {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.(jpe?g|png|webp|gif|tiff?|avif|bmp)$/i.test(name)) files.push(p);
    }
  };
  walk(from);
  const step = Math.max(1, files.length / limit);
  for (let i = 0; i < Math.min(limit, files.length); i++) {
    const src = files[Math.floor(i * step)];
    const dest = join(to, relative(from, src));
    mkdirSync(dirname(dest), { recursive: true });
    copyFileSync(src, dest);
  }
  return to;
}
