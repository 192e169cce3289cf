// Imports a folder into a throw-away project, embeds it, and compares the end-to-end embedding rate with
// onnxruntime's own rate on ready-made tensors of the same shape (the ceiling).
// Usage: npm run bench:embed -- --images <folder> --model <onnx|registry-name> [--size <px>] [--limit N]
//        [--batch N] [--workers N] [--views weak=4,strong=4,fixed=4]
// The last line printed is one JSON object.
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { openProject } from '../main/app/project.ts';
import { importFolder } from '../main/pipeline/import/index.ts';
import { createExtractor, embedProject } from '../main/pipeline/embed/index.ts';
import { DEFAULT_BATCH_SIZE, defaultDecodeWorkers, type BatchTiming } from '../main/pipeline/embed/batch-pipeline.ts';
import { parseViewCounts } from '../main/pipeline/embed/views.ts';
import { getBackboneById } from '../main/models/backbones.ts';
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
  },
});
const folder = values.images ?? CIFAR_DIR;
const model = values.model ?? MOBILENET_V1;
const size = values.size ? Number(values.size) : undefined;
const limit = values.limit ? Number(values.limit) : undefined;
const batchSize = values.batch ? Number(values.batch) : DEFAULT_BATCH_SIZE;
const workers = values.workers ? Number(values.workers) : undefined;
const views = values.views ? parseViewCounts(values.views) : undefined;

const scratch = mkdtempSync(join(tmpdir(), 'spice-bench-embed-'));
const project = openProject(join(scratch, 'project'));
try {
  const source = limit ? sampleFolder(folder, limit, join(scratch, 'images')) : folder;

  const t0 = performance.now();
  const imported = await importFolder(project, source, { labelsFromFolders: true });
  const importSeconds = (performance.now() - t0) / 1000;
  console.log(`import: ${imported.added} images in ${importSeconds.toFixed(1)} s (${(imported.added / importSeconds).toFixed(0)} images/s), ${imported.errors.length} errors`);

  const timings: BatchTiming[] = [];
  // CPU time of all threads of this process (decode workers included): on a shared machine a steadier
  // measure of the work per image than wall time.
  const cpu0 = cpuSeconds();
  const t1 = performance.now();
  const summary = await embedProject(project, { backbone: model, size, batchSize, workers, views, onTiming: (t) => timings.push(t) });
  const embedSeconds = (performance.now() - t1) / 1000;
  const embedCpuMs = ((cpuSeconds() - cpu0) * 1000) / Math.max(1, summary.computed);
  const vectors = summary.computed;
  console.log(
    `embed: ${vectors} vectors (${summary.views.length} views) with ${summary.backboneName} at ${summary.inputSize} px on ${summary.provider} ` +
      `in ${embedSeconds.toFixed(1)} s = ${(vectors / embedSeconds).toFixed(1)}/s end to end (${summary.rate.toFixed(1)}/s once the model was open), ` +
      `batch ${batchSize}, ${workers ?? defaultDecodeWorkers()} decode workers, ${summary.failed.length} failed`,
  );
  const total = timings.map((t) => t.waitMs + t.inferMs + t.storeMs);
  const infer = timings.map((t) => t.inferMs);
  const wait = timings.map((t) => t.waitMs);
  const decode = timings.map((t) => t.decodeMs);
  console.log(`batch latency ms p50/p90/p99: ${pct(total).join(' / ')} (inference ${pct(infer).join(' / ')}, waiting for decoded input ${pct(wait).join(' / ')})`);
  console.log(`decode per batch in a worker, overlapped with inference, ms p50/p90/p99: ${pct(decode).join(' / ')}`);

  // The ceiling: the same extractor on a ready-made tensor, nothing else running.
  const backbone = getBackboneById(project.db, summary.backboneId)!;
  const extractor = await createExtractor(project, backbone);
  const per = 3 * backbone.inputSize * backbone.inputSize;
  const tensor = new Float32Array(batchSize * per);
  for (let i = 0; i < tensor.length; i++) tensor[i] = Math.sin(i) * 0.9;
  await extractor.run(tensor, batchSize);
  const ceilingBatches = Math.max(3, Math.min(40, Math.ceil(vectors / batchSize)));
  const cpu1 = cpuSeconds();
  const t2 = performance.now();
  for (let b = 0; b < ceilingBatches; b++) await extractor.run(tensor, batchSize);
  const ceiling = (ceilingBatches * batchSize) / ((performance.now() - t2) / 1000);
  const inferenceCpuMs = ((cpuSeconds() - cpu1) * 1000) / (ceilingBatches * batchSize);
  await extractor.close();
  console.log(`inference only: ${ceiling.toFixed(1)} images/s on ready-made ${batchSize} x 3 x ${backbone.inputSize} x ${backbone.inputSize} tensors (${ceilingBatches} batches)`);
  const share = vectors / embedSeconds / ceiling;
  console.log(`end to end as a share of inference only: ${share.toFixed(2)} (${(vectors / embedSeconds).toFixed(1)} / ${ceiling.toFixed(1)} images/s, same run)`);
  console.log(`CPU time per image: ${embedCpuMs.toFixed(2)} ms end to end (all threads), ${inferenceCpuMs.toFixed(2)} ms inference only`);
  console.log(`load average at the end: ${loadavg().map((l) => l.toFixed(2)).join(' ')} on ${availableParallelism()} cores`);
  const peakRssMb = process.resourceUsage().maxRSS / 1024;
  console.log(`peak RSS: ${peakRssMb.toFixed(0)} MB`);
  console.log(
    JSON.stringify({
      images: imported.added,
      vectors,
      views: summary.views.length,
      size: summary.inputSize,
      batch: batchSize,
      workers: workers ?? defaultDecodeWorkers(),
      provider: summary.provider,
      import_images_per_s: round(imported.added / importSeconds),
      embed_images_per_s: round(vectors / embedSeconds),
      embed_pipeline_images_per_s: round(summary.rate),
      inference_only_images_per_s: round(ceiling),
      end_to_end_share: Math.round(share * 100) / 100,
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
