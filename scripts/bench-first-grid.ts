// How long a browser waits, over the real bridge, from opening a clustered project to a full first
// cluster grid: projects.open -> clusters.overview -> first page of the largest cluster -> its thumbnails.
// Usage: npm run bench:first-grid -- --project <dir> [--run <id>] [--page 100] [--repeat 5]
// Works on a copy of the project database (the original is never written). Last line: JSON.
// 'cold' is the first of the repeats (fresh services, server and socket; the OS file cache may be warm).
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Agent, request } from 'node:http';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { createServices } from '../main/app/services/index.ts';
import { openProject, projectDbPath } from '../main/project/project.ts';
import { startBridgeServer } from '../main/server/bridge-server.ts';
import type { ClusterOverview, ImagePage, ProjectSummary } from '../preload/contract/api.ts';

const { values } = parseArgs({ options: { project: { type: 'string' }, run: { type: 'string' }, page: { type: 'string' }, repeat: { type: 'string' } } });
if (!values.project) throw new Error('usage: npm run bench:first-grid -- --project <dir> [--run <id>] [--page 100] [--repeat 5]');
const source = projectDbPath(resolve(values.project));
if (!existsSync(source)) throw new Error(`no project at ${values.project}`);
const pageSize = Number(values.page ?? 100);
const repeat = Number(values.repeat ?? 5);

const work = mkdtempSync(join(tmpdir(), 'spice-bench-grid-'));
copyFileSync(source, projectDbPath(work));
const state = mkdtempSync(join(tmpdir(), 'spice-bench-state-'));
// A project written by an older build is migrated on its first open: a one-time cost, timed apart.
const tMigrate = performance.now();
openProject(work).close();
const migrateMs = performance.now() - tMigrate;
console.log(`schema upgrade on first open: ${migrateMs.toFixed(0)} ms (once per project)`);

async function once(): Promise<Record<string, number>> {
  const services = createServices({ platform: 'browser', stateDir: state });
  const server = await startBridgeServer({ services });
  const auth = { Authorization: `Bearer ${server.token}` };
  const t0 = performance.now();
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws`, { headers: auth });
  await new Promise((r, j) => (ws.once('open', r), ws.once('error', j)));
  let id = 0;
  const waiting = new Map<number, (m: { result?: unknown; error?: { message: string } }) => void>();
  ws.on('message', (d) => {
    const m = JSON.parse(d.toString());
    if ('id' in m) waiting.get(m.id)?.(m);
  });
  const call = <T>(method: string, params?: unknown) =>
    new Promise<T>((res, rej) => {
      const i = ++id;
      waiting.set(i, (m) => (m.error ? rej(new Error(m.error.message)) : res(m.result as T)));
      ws.send(JSON.stringify({ id: i, method, params }));
    });
  const summary = await call<ProjectSummary>('projects.open', { dir: work });
  const tOpen = performance.now();
  const runId = values.run ? Number(values.run) : summary.defaultRunId;
  if (!runId) throw new Error('the project has no clustering run');
  const overview = await call<ClusterOverview>('clusters.overview', { runId });
  const tOverview = performance.now();
  const largest = [...overview.cards].sort((a, b) => b.size - a.size)[0];
  const page = await call<ImagePage>('clusters.images', { runId, cluster: largest.cluster, sort: 'confidence', offset: 0, limit: pageSize });
  const tPage = performance.now();
  // Like a browser: all thumbnails requested at once over six kept-alive connections.
  const ids = [...page.items.map((r) => r.imageId), ...overview.cards.flatMap((c) => c.sampleImageIds)];
  const agent = new Agent({ keepAlive: true, maxSockets: 6 });
  const sizes = await Promise.all(ids.map((imageId) => getBytes(server.port, `/img/thumb/${imageId}`, auth, agent)));
  const bytes = sizes.reduce((a, b) => a + b, 0);
  const tThumbs = performance.now();
  agent.destroy();
  ws.close();
  await server.close();
  services.dispose();
  return {
    images: summary.imageCount,
    runId,
    open_ms: tOpen - t0,
    overview_ms: tOverview - tOpen,
    page_ms: tPage - tOverview,
    thumbnails: ids.length,
    thumbnail_kb: bytes / 1024,
    thumbnails_ms: tThumbs - tPage,
    first_grid_ms: tThumbs - t0,
  };
}

function getBytes(port: number, path: string, headers: Record<string, string>, agent: Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers, agent }, (res) => {
      let n = 0;
      res.on('data', (c: Buffer) => (n += c.byteLength));
      res.on('end', () => (res.statusCode === 200 ? resolve(n) : reject(new Error(`${path}: HTTP ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end();
  });
}

try {
  const results: Array<Record<string, number>> = [];
  for (let r = 0; r < repeat; r++) {
    const res = await once();
    results.push(res);
    console.log(
      `#${r + 1}: open ${res.open_ms.toFixed(0)} ms, overview ${res.overview_ms.toFixed(0)} ms, page of ${pageSize} ${res.page_ms.toFixed(0)} ms, ` +
        `${res.thumbnails} thumbnails ${res.thumbnails_ms.toFixed(0)} ms -> first grid ${res.first_grid_ms.toFixed(0)} ms`,
    );
  }
  const grid = results.map((r) => r.first_grid_ms).sort((a, b) => a - b);
  const first = results[0];
  console.log(
    JSON.stringify({
      bench: 'first-grid',
      images: first.images,
      runId: first.runId,
      pageSize,
      repeat,
      migrate_ms: Math.round(migrateMs),
      cold_first_grid_ms: Math.round(first.first_grid_ms),
      median_first_grid_ms: Math.round(grid[Math.floor(grid.length / 2)]),
      max_first_grid_ms: Math.round(grid[grid.length - 1]),
      median_open_ms: Math.round(results.map((r) => r.open_ms).sort((a, b) => a - b)[Math.floor(results.length / 2)]),
    }),
  );
} finally {
  rmSync(work, { recursive: true, force: true });
  rmSync(state, { recursive: true, force: true });
}
