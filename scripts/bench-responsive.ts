// Does the browser bridge stay responsive during a SPICE run? The real `spice-workbench serve` process
// (its services in a child process, main/app/service-host/), on a copy of a project's database, asked
// by one browser-like client for thumbnails (GET /img/thumb/<id> with the image key, keep-alive, one
// at a time with a short pause) and, at the same time, for clusters.images pages of 100 over the
// WebSocket. Latency p50/p99 first with no job running, then while a SPICE run (k=--k) started through
// the services runs; the run is cancelled after --seconds of measuring (it takes minutes on 10,000 images).
// Usage: npm run bench:responsive -- --project <dir> [--k 10] [--seconds 60] [--idle-seconds 20]
//          [--thumb-pause-ms 10] [--call-pause-ms 100]
// Needs a project with embeddings and SPICE's view bank (e.g. one made by `spice-workbench run`); the
// original is never written; one with no finished run is clustered with k-means first (clusters.images
// needs a run). Goal (issue 11): thumbnail p99 during the run at most 2 x its p99 with no run.
// Last line: JSON.
import { rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import type { ApiErrorShape, PushEvent } from '../preload/contract/api.ts';
import { serveProjectCopy } from './serve-copy.ts';

const usage = 'usage: npm run bench:responsive -- --project <dir> [--k 10] [--seconds 60] [--idle-seconds 20] [--thumb-pause-ms 10] [--call-pause-ms 100]';
const { values } = parseArgs({
  options: {
    project: { type: 'string' },
    k: { type: 'string', default: '10' },
    seconds: { type: 'string', default: '60' },
    'idle-seconds': { type: 'string', default: '20' },
    'thumb-pause-ms': { type: 'string', default: '10' },
    'call-pause-ms': { type: 'string', default: '100' },
  },
});
if (!values.project) throw new Error(usage);
const num = (name: keyof typeof values, min: number) => {
  const v = Number(values[name]);
  if (!Number.isFinite(v) || v < min) throw new Error(`--${name} must be a number >= ${min}, got ${values[name]}\n${usage}`);
  return v;
};
const k = num('k', 2);
const seconds = num('seconds', 1);
const idleSeconds = num('idle-seconds', 1);
const thumbPauseMs = num('thumb-pause-ms', 0);
const callPauseMs = num('call-pause-ms', 0);

const { work, home, runId, clusters, imageIds, child, port, token } = await serveProjectCopy(values.project, 'responsive');

interface Stats {
  n: number;
  p50: number;
  p99: number;
  max: number;
  errors: number;
}

function stats(latencies: number[], errors: number): Stats {
  const sorted = [...latencies].sort((a, b) => a - b);
  const at = (p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN);
  const round = (x: number) => Math.round(x * 100) / 100;
  return { n: sorted.length, p50: round(at(50)), p99: round(at(99)), max: round(sorted.at(-1) ?? NaN), errors };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// One WebSocket, as the page has: calls by id, pushed events to listeners.
const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, ['spice.v1', `spice.token.${token}`], { headers: { Origin: `http://127.0.0.1:${port}` } });
await new Promise((res, rej) => (ws.once('open', res), ws.once('error', rej)));
let nextId = 0;
const waiting = new Map<number, (m: { result?: unknown; error?: ApiErrorShape }) => void>();
const pushListeners = new Set<(e: PushEvent) => void>();
ws.on('message', (d) => {
  const m = JSON.parse(d.toString()) as { id?: number; result?: unknown; error?: ApiErrorShape; push?: PushEvent };
  if (m.push) for (const l of pushListeners) l(m.push);
  else if (m.id !== undefined) waiting.get(m.id)?.(m);
});
function call<T>(method: string, params?: unknown): Promise<T> {
  return new Promise((res, rej) => {
    const id = ++nextId;
    waiting.set(id, (m) => {
      waiting.delete(id);
      if (m.error) rej(new Error(`${method}: ${m.error.code}: ${m.error.message}`));
      else res(m.result as T);
    });
    ws.send(JSON.stringify({ id, method, params }));
  });
}

const session = await fetch(`http://127.0.0.1:${port}/api/session`, { headers: { Authorization: `Bearer ${token}` } });
const { imageKey } = (await session.json()) as { imageKey: string };
const agent = new Agent({ keepAlive: true, maxSockets: 1 });
let pick = 12345;
const nextImage = () => imageIds[(pick = (pick * 1103515245 + 12345) >>> 0) % imageIds.length];

function getThumb(id: number): Promise<number> {
  return new Promise((res, rej) => {
    const req = request({ host: '127.0.0.1', port, path: `/img/thumb/${id}?k=${imageKey}`, agent }, (r) => {
      r.resume();
      r.on('end', () => res(r.statusCode ?? 0));
    });
    req.on('error', rej);
    req.end();
  });
}

interface Phase {
  seconds: number;
  thumbnail_ms: Stats;
  clusters_images_ms: Stats;
}

/** Both clients at once until `until()` says stop. */
async function measure(name: string, until: () => boolean): Promise<Phase> {
  const t0 = performance.now();
  const thumbs: number[] = [];
  const pages: number[] = [];
  let thumbErrors = 0;
  let pageErrors = 0;
  const thumbLoop = async () => {
    while (!until()) {
      const t = performance.now();
      try {
        if ((await getThumb(nextImage())) === 200) thumbs.push(performance.now() - t);
        else thumbErrors++;
      } catch {
        thumbErrors++;
      }
      if (thumbPauseMs > 0) await sleep(thumbPauseMs);
    }
  };
  const pageLoop = async () => {
    for (let i = 0; !until(); i++) {
      const t = performance.now();
      try {
        await call('clusters.images', { runId, cluster: i % clusters, sort: i % 2 ? 'confidence' : 'doubt', offset: 100 * (i % 3), limit: 100 });
        pages.push(performance.now() - t);
      } catch {
        pageErrors++;
      }
      if (callPauseMs > 0) await sleep(callPauseMs);
    }
  };
  await Promise.all([thumbLoop(), pageLoop()]);
  const phase: Phase = {
    seconds: Math.round((performance.now() - t0) / 100) / 10,
    thumbnail_ms: stats(thumbs, thumbErrors),
    clusters_images_ms: stats(pages, pageErrors),
  };
  const line = (label: string, s: Stats) => `${label} n=${s.n} p50 ${s.p50} ms, p99 ${s.p99} ms, max ${s.max} ms${s.errors ? `, ${s.errors} errors` : ''}`;
  console.log(`${name} (${phase.seconds} s): ${line('thumbnails', phase.thumbnail_ms)}; ${line('clusters.images', phase.clusters_images_ms)}`);
  return phase;
}

const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;
let jobId: number | null = null;
try {
  console.log(`${imageIds.length} images, run ${runId} (k=${clusters}) for clusters.images; thumbnails every ${thumbPauseMs} ms, a page every ${callPauseMs} ms`);
  // Warm-up: the image reader, the run's pages.
  const warm = performance.now() + 2000;
  await measure('warm-up', () => performance.now() > warm);

  const idleEnd = performance.now() + idleSeconds * 1000;
  const idle = await measure('no run', () => performance.now() > idleEnd);

  let finished: string | null = null;
  const stages = new Map<string, number>();
  let spiceStart = 0;
  pushListeners.add((e) => {
    if (e.type !== 'job' || jobId === null) return;
    if (e.event.type === 'progress' && e.event.progress.jobId === jobId) {
      const s = e.event.progress.stage;
      if (!stages.has(s)) stages.set(s, Math.round((performance.now() - spiceStart) / 100) / 10);
    }
    if (e.event.type === 'finished' && e.event.jobId === jobId) finished = e.event.state + (e.event.error ? `: ${e.event.error}` : '');
  });
  spiceStart = performance.now();
  ({ jobId } = await call<{ jobId: number }>('pipeline.startCluster', { method: 'spice', k }));
  console.log(`SPICE run started (job ${jobId}, k=${k}); measuring for ${seconds} s`);
  const spiceEnd = performance.now() + seconds * 1000;
  const during = await measure('during SPICE', () => performance.now() > spiceEnd || finished !== null);
  const stagesSeen = [...stages].map(([stage, atS]) => ({ stage, at_s: atS }));
  console.log(`SPICE stages reached (seconds after start): ${stagesSeen.map((s) => `${s.stage} @${s.at_s}`).join(', ') || 'none reported'}`);
  if (finished === null) {
    await call('pipeline.cancel', { jobId });
    const until = performance.now() + 30_000;
    while (finished === null && performance.now() < until) await sleep(100);
    console.log(`SPICE run cancelled after measuring (${finished ?? 'still stopping'})`);
  } else console.log(`SPICE run ended while measuring: ${finished}`);

  const thumbRatio = ratio(during.thumbnail_ms.p99, idle.thumbnail_ms.p99);
  console.log(
    `thumbnail p99: ${idle.thumbnail_ms.p99} ms with no run, ${during.thumbnail_ms.p99} ms during SPICE: x${thumbRatio} (goal: at most x2) ${thumbRatio <= 2 ? 'MET' : 'NOT MET'}`,
  );
  console.log(
    JSON.stringify({
      bench: 'responsive',
      images: imageIds.length,
      k,
      seconds,
      loadavg: loadavg().map((x) => Math.round(x * 100) / 100),
      idle,
      during_spice: { ...during, job_id: jobId, ended: finished, stages: stagesSeen },
      p99_ratio_thumbnail: thumbRatio,
      p99_ratio_clusters_images: ratio(during.clusters_images_ms.p99, idle.clusters_images_ms.p99),
    }),
  );
} finally {
  ws.close();
  agent.destroy();
  child.kill('SIGTERM');
  const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(null) : child.once('exit', r)));
  clearTimeout(killer);
  rmSync(work, { recursive: true, force: true });
  rmSync(home, { recursive: true, force: true });
}
