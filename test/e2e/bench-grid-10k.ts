// Measures the cluster grid on 10,000 real images (not part of `npm test`: it imports and embeds the
// whole CIFAR-10 test set, minutes on two cores). Run: node --import tsx test/e2e/bench-grid-10k.ts
// It imports the images, embeds them at 32 px (plain view only), runs k-means (K=10), names every
// cluster "all" so one class view holds all 10,000 images, then scrolls that grid in Chromium frame by
// frame and reports frame times and how many cells the DOM held. Last line: one JSON object.
// SPICE_BENCH_PROJECT=<dir>: use (or, when missing, build and keep) that project instead of a temp one.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CIFAR_FULL_DIR as CIFAR_DIR } from '../helpers/shared-data.ts';
import { MOBILENET_V1 } from '../helpers/paths.ts';
import { makeTempDir } from '../helpers/cifar-subset.ts';
import { openBrowser } from './helpers/browser.ts';
import { buildRenderer } from './helpers/build.ts';
import { startServe } from './helpers/serve.ts';

const temp = makeTempDir('spice-bench-grid-');
buildRenderer();
const served = await startServe({ home: join(temp.dir, 'home') });
const token = new URL(served.url).searchParams.get('token')!;

async function call<T>(method: string, params?: unknown): Promise<T> {
  const res = await fetch(new URL('/api/call', served.origin), {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ method, params }),
  });
  const body = (await res.json()) as { result?: T; error?: { message: string } };
  if (body.error) throw new Error(`${method}: ${body.error.message}`);
  return body.result as T;
}

async function waitIdle(): Promise<void> {
  for (;;) {
    const jobs = await call<Array<{ state: string; kind: string; error: string | null }>>('pipeline.jobs', { limit: 5 });
    const failed = jobs.find((j) => j.state === 'failed');
    if (failed) throw new Error(`${failed.kind} failed: ${failed.error}`);
    if (!jobs.some((j) => j.state === 'running')) return;
    await new Promise((r) => setTimeout(r, 1000));
  }
}

const t0 = Date.now();
const kept = process.env.SPICE_BENCH_PROJECT;
try {
  let summary: { defaultRunId: number; imageCount: number };
  if (kept && existsSync(join(kept, 'project.sqlite'))) {
    summary = await call('projects.open', { dir: kept });
  } else {
    await call('projects.create', { dir: kept ?? join(temp.dir, 'project'), imageFolder: CIFAR_DIR, labelsFromFolders: true });
    await waitIdle();
    console.log(`imported in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    await call('pipeline.startEmbed', { backbone: MOBILENET_V1, size: 32 });
    await waitIdle();
    await call('pipeline.startCluster', { method: 'kmeans', k: 10, seed: 0 });
    await waitIdle();
    summary = await call('projects.current');
    await call('mapping.setMany', { runId: summary.defaultRunId, clusters: [...Array(10).keys()], className: 'all' });
    console.log(`set up ${summary.imageCount} images in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  }

  const browser = await openBrowser();
  const page = browser.page;
  await page.goto(served.url);
  await page.goto(new URL('/#/grid?class=all', served.origin).href);
  await page.locator('[data-testid=screen-grid] [role=gridcell][data-image-id]').first().waitFor({ timeout: 30_000 });
  const result = await page.evaluate(async () => {
    const grid = document.querySelector('[data-testid=virtual-grid]') as HTMLElement;
    const frames: number[] = [];
    let maxCells = 0;
    let blankFrames = 0;
    let last = performance.now();
    // Scroll the whole grid top to bottom in steps of 3 rows per frame (a fast flick).
    const step = 300;
    while (grid.scrollTop + grid.clientHeight < grid.scrollHeight - 1) {
      grid.scrollTop += step;
      await new Promise((r) => requestAnimationFrame(() => r(null)));
      const now = performance.now();
      frames.push(now - last);
      last = now;
      maxCells = Math.max(maxCells, grid.querySelectorAll('[role=gridcell]').length);
      if (grid.querySelectorAll('[role=gridcell][aria-busy=true]').length > 0) blankFrames++;
    }
    frames.sort((a, b) => a - b);
    // (No named functions in page callbacks: tsx's __name helper is not defined in the page.)
    const [p50, p95] = [0.5, 0.95].map((p) => frames[Math.min(frames.length - 1, Math.floor(p * frames.length))]);
    return {
      frames: frames.length,
      p50,
      p95,
      max: frames[frames.length - 1],
      maxCells,
      framesWithLoadingCells: blankFrames,
      total: Number(grid.getAttribute('aria-rowcount')) * Number(grid.getAttribute('aria-colcount')),
    };
  });
  await browser.close();
  console.log(
    `scrolled ${result.frames} frames: p50 ${result.p50.toFixed(1)} ms, p95 ${result.p95.toFixed(1)} ms, max ${result.max.toFixed(1)} ms; at most ${result.maxCells} cells in the DOM; ${result.framesWithLoadingCells} frames showed cells still loading`,
  );
  console.log(JSON.stringify({ images: summary.imageCount, ...result }));
} finally {
  await served.stop();
  temp.cleanup();
}
