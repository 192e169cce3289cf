// Load on the browser bridge: the real `spice-workbench serve` process, on 127.0.0.1 only, under
// `--concurrency` clients at once for a bounded time per phase: thumbnails (GET /img/thumb/<id> with the
// image key, keep-alive) and WebSocket calls (each client its own socket, one clusters.images page of
// 100 after another, as the grid asks). Prints per phase: requests, throughput, p50/p99 latency, errors,
// and the server's resident memory before the load, after it and after 5 s idle.
// Usage: npm run bench:serve-load -- --project <dir> [--concurrency 50] [--seconds 15]
// Works on a copy of the project database (the original is never written); clusters it with k-means
// first when it has no finished run. Last line: JSON.
import { readFileSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { serveProjectCopy } from './serve-copy.ts';

const { values } = parseArgs({ options: { project: { type: 'string' }, concurrency: { type: 'string' }, seconds: { type: 'string' } } });
if (!values.project) throw new Error('usage: npm run bench:serve-load -- --project <dir> [--concurrency 50] [--seconds 15]');
const concurrency = Number(values.concurrency ?? 50);
const seconds = Number(values.seconds ?? 15);

const { work, home, runId, clusters, imageIds, child, port, token } = await serveProjectCopy(values.project, 'load');
const auth = { Authorization: `Bearer ${token}` };

function rssMiB(): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : NaN;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

interface PhaseResult {
  requests: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  errors: number;
  firstError: string | null;
  rssBeforeMiB: number;
  rssAfterMiB: number;
  rssIdleMiB: number;
}

async function phase(name: string, worker: (until: number, record: (ms: number) => void, fail: (why: string) => void) => Promise<void>): Promise<PhaseResult> {
  const rssBefore = rssMiB();
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | null = null;
  const t0 = performance.now();
  const until = t0 + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, () =>
      worker(
        until,
        (ms) => latencies.push(ms),
        (why) => {
          errors++;
          firstError ??= why;
        },
      ),
    ),
  );
  const elapsed = (performance.now() - t0) / 1000;
  const rssAfter = rssMiB();
  await new Promise((r) => setTimeout(r, 5000));
  const sorted = latencies.sort((a, b) => a - b);
  const result: PhaseResult = {
    requests: latencies.length + errors,
    perSecond: Math.round(latencies.length / elapsed),
    p50Ms: round(percentile(sorted, 50)),
    p99Ms: round(percentile(sorted, 99)),
    maxMs: round(sorted.at(-1) ?? NaN),
    errors,
    firstError,
    rssBeforeMiB: rssBefore,
    rssAfterMiB: rssAfter,
    rssIdleMiB: rssMiB(),
  };
  console.log(
    `${name}: ${result.requests} requests in ${elapsed.toFixed(1)} s, ${result.perSecond}/s, p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms, max ${result.maxMs} ms, ` +
      `errors ${errors}${firstError ? ` (first: ${firstError})` : ''}; serve RSS ${rssBefore} -> ${rssAfter} MiB, ${result.rssIdleMiB} MiB after 5 s idle`,
  );
  return result;
}

const round = (x: number) => Math.round(x * 10) / 10;

try {
  const session = await fetch(`http://127.0.0.1:${port}/api/session`, { headers: auth });
  const { imageKey } = (await session.json()) as { imageKey: string };
  let pick = 0;
  const nextImage = () => imageIds[(pick = (pick * 1103515245 + 12345) >>> 0) % imageIds.length];

  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const thumbs = await phase('thumbnails', async (until, record, fail) => {
    while (performance.now() < until) {
      const t = performance.now();
      try {
        const status = await new Promise<number>((res, rej) => {
          const req = request({ host: '127.0.0.1', port, path: `/img/thumb/${nextImage()}?k=${imageKey}`, agent }, (r) => {
            r.resume();
            r.on('end', () => res(r.statusCode ?? 0));
          });
          req.on('error', rej);
          req.end();
        });
        if (status !== 200) fail(`HTTP ${status}`);
        else record(performance.now() - t);
      } catch (err) {
        fail((err as Error).message);
      }
    }
  });
  agent.destroy();

  const calls = await phase('websocket calls (clusters.images, 100 per page)', async (until, record, fail) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, ['spice.v1', `spice.token.${token}`], { headers: { Origin: `http://127.0.0.1:${port}` } });
    await new Promise((res, rej) => (ws.once('open', res), ws.once('error', rej)));
    let id = 0;
    const waiting = new Map<number, (m: { error?: { message: string } }) => void>();
    ws.on('message', (d) => {
      const m = JSON.parse(d.toString()) as { id?: number; error?: { message: string } };
      if (m.id !== undefined) waiting.get(m.id)?.(m);
    });
    while (performance.now() < until) {
      const i = ++id;
      const t = performance.now();
      const params = { runId, cluster: i % clusters, sort: i % 2 ? 'confidence' : 'doubt', offset: 100 * (i % 5), limit: 100 };
      const reply = await new Promise<{ error?: { message: string } }>((res) => {
        waiting.set(i, res);
        ws.send(JSON.stringify({ id: i, method: 'clusters.images', params }));
      });
      waiting.delete(i);
      if (reply.error) fail(reply.error.message);
      else record(performance.now() - t);
    }
    ws.close();
  });

  const load = (await import('node:os')).loadavg().map((x) => Math.round(x * 100) / 100);
  console.log(JSON.stringify({ bench: 'serve-load', images: imageIds.length, runId, concurrency, seconds, loadavg: load, thumbnails: thumbs, websocketCalls: calls }));
} finally {
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  rmSync(work, { recursive: true, force: true });
  rmSync(home, { recursive: true, force: true });
}
