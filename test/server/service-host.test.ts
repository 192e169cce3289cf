// The services in a process of their own behind the bridge, as `serve` runs them (main/app/service-host/):
// the serving thread keeps answering images while the services' thread is held, a failed call reaches
// the client with the same HTTP status and body as from services in the serving thread, the host's hooks
// run on its side, a crashed process is reported instead of leaving calls waiting, and close() stops the
// services (in a worker thread too).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServiceHost, spawnServicesProcess, spawnServicesThread, type ServiceHost } from '../../main/app/service-host/host.ts';
import { createServices, type Services } from '../../main/app/services/index.ts';
import { startBridgeServer, type BridgeServer } from '../../main/server/bridge-server.ts';
import { makeCifarSubset, makeTempDir } from '../helpers/cifar-subset.ts';
import { startServe } from '../e2e/helpers/serve.ts';
import { connect, type TestClient } from './ws-client.ts';
import { MOBILENET_V1 } from '../helpers/paths.ts';

/** The real services worker plus 'test.block' (holds its thread) and 'test.crash' (exit code 3). */
const BUSY_WORKER = new URL('./fixtures/busy-services-worker.ts', import.meta.url);
const spawnBusy = () => spawnServicesProcess(BUSY_WORKER);

let host: ServiceHost;
let server: BridgeServer;
let client: TestClient;
let projectDir: string;
const cleanups: Array<() => void | Promise<void>> = [];

interface Reply {
  status: number;
  body: Buffer;
  ms: number;
}

function httpRequest(port: number, method: string, path: string, headers: Record<string, string>, body?: string): Promise<Reply> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), ms: performance.now() - t0 }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const bearer = (s: BridgeServer) => ({ Authorization: `Bearer ${s.token}` });
const postCall = (s: BridgeServer, body: string) => httpRequest(s.port, 'POST', '/api/call', { ...bearer(s), 'Content-Type': 'application/json' }, body);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

before(async () => {
  const images = makeCifarSubset(3, { classes: ['cat', 'ship'] });
  const state = makeTempDir('spice-host-state-');
  const project = makeTempDir('spice-host-project-');
  cleanups.push(images.cleanup, state.cleanup, project.cleanup);
  projectDir = project.dir;
  host = createServiceHost({ platform: 'browser', stateDir: state.dir, spawn: spawnBusy });
  await host.ready;
  server = await startBridgeServer({ services: host });
  client = await connect(server.port, bearer(server));
  const created = await client.call('projects.create', { dir: project.dir, imageFolder: images.dir, labelsFromFolders: true });
  await client.waitFor((e) => e.type === 'job' && e.event.type === 'finished' && e.event.jobId === created.importJobId);
});

after(async () => {
  client?.close();
  await server?.close();
  await host?.close();
  for (const c of cleanups.reverse()) await c();
});

test('images are answered while a call holds the services thread, and calls wait for it', async () => {
  const first = await httpRequest(server.port, 'GET', '/img/thumb/1', bearer(server));
  assert.equal(first.status, 200, 'the import made thumbnails, served by the image reader');
  assert.ok(first.body.byteLength > 0);

  const blockMs = 1500;
  const t0 = performance.now();
  const blocked = client.raw('test.block', { ms: blockMs }).then((r) => ({ r, at: performance.now() - t0 }));
  await sleep(150); // the worker is in its loop now
  const queued = client.raw('projects.current', undefined).then((r) => ({ r, at: performance.now() - t0 }));
  const latencies: number[] = [];
  let id = 0;
  while (performance.now() - t0 < blockMs - 300) {
    const reply = await httpRequest(server.port, 'GET', `/img/thumb/${(id++ % 6) + 1}`, bearer(server));
    assert.equal(reply.status, 200);
    latencies.push(reply.ms);
  }
  const session = await httpRequest(server.port, 'GET', '/api/session', bearer(server));
  assert.equal(session.status, 200, 'the bridge itself answers too');
  const b = await blocked;
  const q = await queued;
  // The services did hold their thread: the blocking call and the one sent during it came back after it.
  assert.equal(b.r.error?.code, 'unknown-method');
  assert.ok(b.at >= blockMs - 50, `the blocking call answered after ${b.at.toFixed(0)} ms`);
  assert.ok(q.at >= blockMs - 50, `a call sent during the block answered after ${q.at.toFixed(0)} ms`);
  assert.equal((q.r.result as { dir: string } | null)?.dir, projectDir);
  // ...while images kept coming from the serving thread and the image reader.
  assert.ok(latencies.length >= 5, `${latencies.length} thumbnails during the block`);
  const worst = Math.max(...latencies);
  assert.ok(worst < 500, `slowest thumbnail during the block: ${worst.toFixed(0)} ms (all: ${latencies.map((x) => x.toFixed(1)).join(', ')})`);
});

test('grid pages come from the image reader while a job holds the services, and never overtake a waiting call', async () => {
  const { jobId: embedJob } = await client.call('pipeline.startEmbed', { backbone: MOBILENET_V1, size: 32 });
  await client.waitFor((e) => e.type === 'job' && e.event.type === 'finished' && e.event.jobId === embedJob);
  const { jobId: clusterJob } = await client.call('pipeline.startCluster', { method: 'kmeans', k: 2, seed: 0 });
  await client.waitFor((e) => e.type === 'job' && e.event.type === 'finished' && e.event.jobId === clusterJob);
  const [run] = await client.call('runs.list');
  const pageParams = { runId: run.id, cluster: 0, sort: 'confidence' as const, offset: 0, limit: 10 };
  const expected = await client.call('clusters.images', pageParams);
  assert.ok(expected.items.length > 0);

  const busyMs = 1500;
  const t0 = performance.now();
  assert.equal((await client.raw('test.busy', { ms: busyMs })).error?.code, 'unknown-method', 'answered before the services got busy');
  await sleep(150);
  const queued = client.raw('projects.current', undefined).then((r) => ({ r, at: performance.now() - t0 }));
  const latencies: number[] = [];
  // While projects.current waits, a page goes behind it; the rest of the time it is read beside the services.
  const behind = client.raw('clusters.images', pageParams).then((r) => ({ r, at: performance.now() - t0 }));
  const q = await queued;
  const b = await behind;
  assert.ok(q.at >= busyMs - 50, `the services were busy: a call waited ${q.at.toFixed(0)} ms`);
  assert.ok(b.at >= q.at, 'the page asked for while a call waited came after it');
  assert.deepEqual(b.r.result, expected);

  assert.equal((await client.raw('test.busy', { ms: busyMs })).error?.code, 'unknown-method');
  await sleep(150);
  const t1 = performance.now();
  while (performance.now() - t1 < busyMs - 500) {
    const s = performance.now();
    assert.deepEqual(await client.call('clusters.images', pageParams), expected);
    latencies.push(performance.now() - s);
  }
  const servicesAnswer = performance.now();
  await client.call('projects.current');
  assert.ok(performance.now() - servicesAnswer > 100, 'the services were still busy after the pages');
  assert.ok(latencies.length >= 5, `${latencies.length} pages during the job`);
  const worst = Math.max(...latencies);
  assert.ok(worst < 300, `slowest page while the services were busy: ${worst.toFixed(0)} ms (all: ${latencies.map((x) => x.toFixed(1)).join(', ')})`);
});

test('a failed call crosses the worker boundary with the same HTTP status and body as before', async () => {
  // The same bridge over services in this thread, on the same project: the answers before the host.
  const state = makeTempDir('spice-host-state-inline-');
  const inline: Services = createServices({ platform: 'browser', stateDir: state.dir });
  const inlineServer = await startBridgeServer({ services: inline });
  try {
    assert.ok((await inline.dispatch('projects.open', { dir: projectDir })).ok);
    const bodies = [
      JSON.stringify({ method: 'runs.metrics', params: { runId: 999 } }), // not-found (raised in the services)
      JSON.stringify({ method: 'clusters.images', params: { runId: 1 } }), // invalid-argument (validation, in the image reader)
      JSON.stringify({ method: 'clusters.images', params: { runId: 999, cluster: 0, sort: 'confidence', offset: 0, limit: 5 } }), // not-found, in the image reader
      JSON.stringify({ method: 'pipeline.startCluster', params: { method: 'kmeans', k: 10, backbone: 'no-such-backbone' } }), // raised by a stage
      JSON.stringify({ method: 'image.detail', params: { imageId: 1, runId: 12345 } }),
      JSON.stringify({ method: 'projects.open', params: { dir: `${projectDir}-missing` } }),
      JSON.stringify({ method: 'no.such', params: {} }), // unknown-method
      JSON.stringify({ params: {} }),
      '{not json', // the bridge's own 400
    ];
    for (const body of bodies) {
      const hosted = await postCall(server, body);
      const before = await postCall(inlineServer, body);
      assert.equal(hosted.status, before.status, body);
      assert.deepEqual(JSON.parse(hosted.body.toString()), JSON.parse(before.body.toString()), body);
      assert.ok(JSON.parse(hosted.body.toString()).error, `${body} fails`);
    }
    // Over the WebSocket too.
    const overSocket = await client.raw('runs.metrics', { runId: 999 });
    const inlineOutcome = await inline.dispatch('runs.metrics', { runId: 999 });
    assert.equal(inlineOutcome.ok, false);
    assert.deepEqual(overSocket.error, !inlineOutcome.ok && inlineOutcome.error);
    assert.equal(overSocket.error?.code, 'not-found');
    // An image that does not exist is a 404 on both.
    assert.equal((await httpRequest(server.port, 'GET', '/img/thumb/99999', bearer(server))).status, 404);
    assert.equal((await httpRequest(inlineServer.port, 'GET', '/img/thumb/99999', bearer(inlineServer))).status, 404);
  } finally {
    await inlineServer.close();
    inline.dispose();
    state.cleanup();
  }
});

test("the host's hooks run on its side; a crashed services process fails every waiting and later call, and the bridge stays up", async () => {
  const state = makeTempDir('spice-host-state-crash-');
  const picked: unknown[] = [];
  const crashing = createServiceHost({
    platform: 'browser',
    stateDir: state.dir,
    spawn: spawnBusy,
    host: {
      // The first dialog answers; the next stays open (a call waiting in the services).
      chooseFolder: (options) => {
        picked.push(options);
        return picked.length === 1 ? Promise.resolve('/picked/folder') : new Promise<string | null>(() => undefined);
      },
    },
  });
  const bridge = await startBridgeServer({ services: crashing });
  try {
    await crashing.ready;
    const info = await crashing.dispatch('app.info', undefined);
    assert.equal(info.ok && (info.result as { canChooseFolders: boolean }).canChooseFolders, true);
    assert.deepEqual(await crashing.dispatch('app.chooseFolder', { title: 'Images' }), { ok: true, result: { dir: '/picked/folder' } });
    assert.deepEqual(picked, [{ title: 'Images' }]);
    const noProject = await crashing.dispatch('runs.list', undefined);
    assert.equal(!noProject.ok && noProject.error.code, 'no-project');

    const waiting = crashing.dispatch('app.chooseFolder', { title: 'never answered' });
    while (picked.length < 2) await sleep(10);
    const crash = crashing.dispatch('test.crash', undefined);
    for (const outcome of await Promise.all([waiting, crash])) {
      assert.equal(outcome.ok, false);
      assert.equal(!outcome.ok && outcome.error.code, 'internal');
      assert.match(!outcome.ok ? outcome.error.message : '', /services stopped unexpectedly \(exit code 3\)/);
    }
    const t = performance.now();
    const later = await postCall(bridge, JSON.stringify({ method: 'projects.current' }));
    assert.ok(performance.now() - t < 1000, 'a later call is answered at once');
    assert.equal(later.status, 200);
    assert.match(JSON.parse(later.body.toString()).error.message, /stopped unexpectedly/);
    assert.match(crashing.failure ?? '', /exit code 3/);
    assert.equal((await httpRequest(bridge.port, 'GET', '/api/session', bearer(bridge))).status, 200);
  } finally {
    await bridge.close();
    await crashing.close();
    state.cleanup();
  }
});

test('close() waits for a held services thread (here a worker thread) to stop, then every call answers that they are closed', async () => {
  const state = makeTempDir('spice-host-state-close-');
  const closing = createServiceHost({ platform: 'browser', stateDir: state.dir, spawn: () => spawnServicesThread(BUSY_WORKER) });
  try {
    await closing.ready;
    const held = closing.dispatch('test.block', { ms: 600 });
    await sleep(50);
    const t = performance.now();
    await closing.close();
    assert.ok(performance.now() - t < 8000, 'closed well before the kill deadline');
    const outcome = await held;
    assert.equal(outcome.ok, false);
    assert.equal(closing.failure, 'the services are closed');
    assert.deepEqual(await closing.dispatch('projects.current', undefined), { ok: false, error: { code: 'internal', message: 'the services are closed' } });
    assert.equal(await closing.readImage('thumb', 1), null);
  } finally {
    await closing.close();
    state.cleanup();
  }
});

test(
  '`serve` runs its services in a child process at a lower CPU priority, which ends when serve is killed',
  { skip: process.platform === 'linux' ? false : 'reads /proc' },
  async () => {
    const home = makeTempDir('spice-host-serve-home-');
    const served = await startServe({ home: home.dir, env: { SPICE_SERVICES_NICE: '10' } });
    try {
      const pid = served.child.pid!;
      // The address is printed once the services answer: their process is there by now.
      const children = spawnSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' })
        .stdout.trim()
        .split('\n')
        .filter(Boolean)
        .map(Number);
      assert.equal(children.length, 1, `one child of serve: ${children.join(', ')}`);
      const services = children[0];
      const niceOf = (p: number) => Number(readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1].split(' ')[16]);
      assert.equal(niceOf(pid), 0, 'serve itself keeps its priority');
      assert.equal(niceOf(services), 10, 'the services run at nice 10');
      served.child.kill('SIGKILL');
      const until = Date.now() + 15_000;
      let alive = true;
      while (alive && Date.now() < until) {
        await sleep(100);
        try {
          alive = !readFileSync(`/proc/${services}/stat`, 'utf8').split(') ')[1].startsWith('Z'); // a zombie has ended
        } catch {
          alive = false;
        }
      }
      assert.equal(alive, false, 'the services process ended with serve');
    } finally {
      await served.stop();
      home.cleanup();
    }
  },
);
