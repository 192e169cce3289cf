// The browser bridge lets in only holders of the per-start token, only from its own origin, and
// serves images by id only.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect as tcpConnect } from 'node:net';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import WebSocket from 'ws';
import { createServices, type Services } from '../../main/app/services/index.ts';
import { MAX_BODY_BYTES, startBridgeServer, type BridgeServer } from '../../main/server/bridge-server.ts';
import { makeCifarSubset, makeTempDir } from '../helpers/cifar-subset.ts';
import { connect } from './ws-client.ts';

let services: Services;
let server: BridgeServer;
const cleanups: Array<() => void> = [];

/** Raw HTTP GET, so paths are sent exactly as written (fetch would normalise '..'). */
function get(path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path, method: 'GET', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

function upgradeStatus(headers: Record<string, string>, path = '/ws'): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}${path}`, { headers });
    ws.once('open', () => {
      ws.close();
      resolve(101);
    });
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.once('error', () => resolve(-1));
  });
}

const bearer = () => ({ Authorization: `Bearer ${server.token}` });

/** Sends raw bytes and returns what came back before the server closed (or 2 s passed). */
function rawExchange(bytes: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = tcpConnect(server.port, '127.0.0.1');
    let got = '';
    const done = () => resolve(got);
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => (got += d));
    socket.on('close', done);
    socket.on('error', done);
    socket.setTimeout(2000, () => socket.destroy());
    socket.write(bytes);
  });
}

before(async () => {
  const images = makeCifarSubset(2, { classes: ['cat', 'ship'] });
  const state = makeTempDir('spice-state-');
  const project = makeTempDir('spice-bridge-');
  const renderer = makeTempDir('spice-renderer-');
  cleanups.push(images.cleanup, state.cleanup, project.cleanup, renderer.cleanup);
  mkdirSync(join(renderer.dir, 'assets'));
  writeFileSync(join(renderer.dir, 'index.html'), '<!doctype html><title>SPICE Workbench</title>');
  writeFileSync(join(renderer.dir, 'assets', 'app.js'), 'console.log(1)');
  services = createServices({ platform: 'browser', stateDir: state.dir });
  server = await startBridgeServer({ services, rendererDir: renderer.dir });
  const client = await connect(server.port, bearer());
  const created = await client.call('projects.create', { dir: project.dir, imageFolder: images.dir, labelsFromFolders: true });
  assert.ok(created.importJobId);
  await client.waitFor((e) => e.type === 'job' && e.event.type === 'finished' && e.event.jobId === created.importJobId);
  client.close();
});

after(async () => {
  await server.close();
  services.dispose();
  for (const c of cleanups) c();
});

test('binds to 127.0.0.1 on the port the OS picked, and prints the token in the address', () => {
  assert.ok(server.port > 0);
  assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{43}$/);
});

test('the renderer is public; the API, the session and images need a credential', async () => {
  // The built renderer is the same for everyone: the page loads and reads its token itself.
  for (const path of ['/', '/index.html', '/assets/app.js']) assert.equal((await get(path)).status, 200, path);
  for (const path of ['/img/thumb/1', '/img/full/1', '/api/session']) assert.equal((await get(path)).status, 401, path);
  assert.equal((await get('/api/session', { Authorization: 'Bearer wrong-token' })).status, 401);
  const call = await fetch(`http://127.0.0.1:${server.port}/api/call`, { method: 'POST', body: '{"method":"app.info"}' });
  assert.equal(call.status, 401);
});

test('the token opens nothing from a URL and is never put in a cookie', async () => {
  // Only the page load carries ?token=, and the page (not the server) takes it from there.
  const page = await get(`/?token=${server.token}`);
  assert.equal(page.status, 200);
  assert.equal(page.headers['set-cookie'], undefined, 'no cookie: browsers would send it to every other server on 127.0.0.1');
  assert.equal(page.headers['referrer-policy'], 'no-referrer');
  assert.equal(page.headers['cache-control'], 'no-store');
  for (const path of [`/img/thumb/1?token=${server.token}`, `/api/session?token=${server.token}`]) assert.equal((await get(path)).status, 401, path);
  assert.equal(await upgradeStatus({}, `/ws?token=${server.token}`), 401);
  // A cookie, as the old bridge used, opens nothing either.
  assert.equal((await get('/api/session', { Cookie: `spice_token_${server.port}=${server.token}` })).status, 401);
  assert.equal(await upgradeStatus({ Cookie: `spice_token_${server.port}=${server.token}` }), 401);
});

test('the session hands the page an image key that opens images and nothing else', async () => {
  const res = await get('/api/session', bearer());
  assert.equal(res.status, 200);
  assert.equal(res.headers['set-cookie'], undefined);
  const { imageKey } = JSON.parse(res.body.toString()) as { imageKey: string };
  assert.equal(imageKey, server.imageKey);
  assert.notEqual(imageKey, server.token);
  const page = await get('/', {});
  assert.match(String(page.headers['content-security-policy']), /script-src 'self'/);
  assert.equal((await get(`/img/thumb/1?k=${imageKey}`)).status, 200);
  assert.equal((await get(`/img/thumb/1?k=${imageKey}x`)).status, 401);
  assert.equal((await get('/api/session', { Authorization: `Bearer ${imageKey}` })).status, 401);
  assert.equal(await upgradeStatus({ Authorization: `Bearer ${imageKey}` }), 401);
});

test('WebSocket upgrade needs the token (subprotocol or Bearer) and this server as origin', async () => {
  assert.equal(await upgradeStatus({}), 401);
  assert.equal(await upgradeStatus({ Authorization: 'Bearer nope' }), 401);
  assert.equal(await upgradeStatus({ ...bearer(), Origin: 'http://evil.example' }), 403);
  assert.equal(await upgradeStatus({ ...bearer(), Origin: `http://127.0.0.1:${server.port + 1}` }), 403);
  assert.equal(await upgradeStatus({ ...bearer(), Origin: `http://127.0.0.1:${server.port}` }), 101);
  assert.equal(await upgradeStatus(bearer(), '/not-ws'), 404);
  // What the page does: the token as a subprotocol; the server answers with spice.v1 only.
  const chosen = await new Promise<string>((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws`, ['spice.v1', `spice.token.${server.token}`], { headers: { Origin: `http://localhost:${server.port}` } });
    ws.once('open', () => {
      resolve(ws.protocol);
      ws.close();
    });
    ws.once('error', reject);
  });
  assert.equal(chosen, 'spice.v1');
  assert.equal(await upgradeStatus({ 'Sec-WebSocket-Protocol': 'spice.v1, spice.token.wrong' }), 401);
});

test('the Host check ignores case, as host names do', async () => {
  assert.equal((await get('/api/session', { ...bearer(), Host: `LOCALHOST:${server.port}` })).status, 200);
  assert.equal((await get('/api/session', { ...bearer(), Host: `LocalHost.evil.example:${server.port}` })).status, 421);
});

test('a body over the limit gets 413, declared or streamed, and the bridge keeps answering', async () => {
  const declared = await rawExchange(
    `POST /api/call HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nAuthorization: Bearer ${server.token}\r\nContent-Type: application/json\r\nContent-Length: ${MAX_BODY_BYTES + 1}\r\n\r\n{`,
  );
  assert.match(declared, /^HTTP\/1\.1 413 /);
  const streamed = await fetch(`http://127.0.0.1:${server.port}/api/call`, {
    method: 'POST',
    headers: bearer(),
    body: new ReadableStream({
      start(controller) {
        const chunk = new Uint8Array(1024 * 1024).fill(32);
        for (let i = 0; i < 17; i++) controller.enqueue(chunk);
        controller.close();
      },
    }),
    duplex: 'half',
  } as RequestInit).catch((err: Error) => err);
  assert.ok(!(streamed instanceof Error), `the streamed request failed: ${String(streamed)}`);
  assert.equal(streamed.status, 413);
  const ok = await fetch(`http://127.0.0.1:${server.port}/api/call`, { method: 'POST', headers: bearer(), body: '{"method":"app.info"}' });
  assert.equal(ok.status, 200);
});

test('many WebSocket clients share one push listener: no MaxListenersExceededWarning', async () => {
  const warnings: string[] = [];
  const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
  process.on('warning', onWarning);
  const clients = await Promise.all(Array.from({ length: 15 }, () => connect(server.port, bearer())));
  try {
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(
      warnings.filter((w) => /MaxListeners/.test(w)),
      [],
    );
    // Every one of them still gets pushed events.
    services.session.changed(['classes']);
    await Promise.all(clients.map((c) => c.waitFor((e) => e.type === 'changed' && e.areas.includes('classes'), 5000)));
  } finally {
    for (const c of clients) c.close();
    process.off('warning', onWarning);
  }
});

test('a foreign Host header (DNS rebinding) is refused', async () => {
  assert.equal((await get('/', { ...bearer(), Host: `evil.example:${server.port}` })).status, 421);
});

test('a thumbnail is served by id with the stored bytes', async () => {
  const db = services.session.requireProject().db;
  const row = db.prepare('SELECT image_id, mime, data FROM thumbnails ORDER BY image_id LIMIT 1').get() as { image_id: number; mime: string; data: Buffer };
  const res = await get(`/img/thumb/${row.image_id}`, bearer());
  assert.equal(res.status, 200);
  assert.equal(res.headers['content-type'], row.mime);
  assert.deepEqual(res.body, row.data);
  const etag = String(res.headers.etag);
  assert.equal((await get(`/img/thumb/${row.image_id}`, { ...bearer(), 'If-None-Match': etag })).status, 304);
  const full = await get(`/img/full/${row.image_id}`, bearer());
  assert.equal(full.status, 200);
  assert.equal(full.headers['content-type'], 'image/jpeg');
  assert.equal(full.body.subarray(0, 2).toString('hex'), 'ffd8');
  assert.equal((await get('/img/thumb/999999', bearer())).status, 404);
});

test('anything path-like is refused, never resolved', async () => {
  const paths = [
    '/img/thumb/../../../../etc/passwd',
    '/img/full/..%2f..%2f..%2fetc%2fpasswd',
    '/img/full/%2Fetc%2Fpasswd',
    '/img/full//etc/passwd',
    '/img/thumb/1/../2',
    '/../../etc/passwd',
    '/%2e%2e/%2e%2e/etc/passwd',
    '/assets/..%5c..%5cpackage.json',
    '//etc/passwd',
    '/img/thumb/abc',
    '/img/thumb/-1',
    '/img/thumb/1.5',
    '/img/other/1',
  ];
  for (const path of paths) {
    const res = await get(path, bearer());
    assert.ok(res.status === 400 || res.status === 404, `${path} -> ${res.status}`);
    assert.doesNotMatch(res.body.toString(), /root:|"name": "spice-workbench"/, path);
  }
});

test('bad arguments are errors, not crashes, and the bridge keeps answering', async () => {
  const client = await connect(server.port, bearer());
  try {
    const cases: Array<[unknown, unknown]> = [
      ['clusters.images', { runId: 'one', sort: 'confidence', offset: 0, limit: 10, cluster: 0 }],
      ['clusters.images', { runId: 1, sort: 'confidence', offset: -1, limit: 10, cluster: 0 }],
      ['clusters.images', { runId: 1, sort: 'sideways', offset: 0, limit: 10, cluster: 0 }],
      ['clusters.images', { runId: 1, sort: 'doubt', offset: 0, limit: 10 }],
      ['corrections.move', { imageIds: [1, 'x'], className: 'cat' }],
      ['corrections.move', { imageIds: [1], className: '' }],
      ['projects.open', { dir: 'relative/path' }],
      ['projects.open', { dir: '/tmp', extra: true }],
      ['projects.open', null],
      ['mapping.setClusterName', { runId: 1, cluster: 1.5, className: 'cat' }],
      ['pipeline.startCluster', { method: 'dbscan', k: 10 }],
      ['app.info', { unexpected: 1 }],
      ['image.detail', [1, 2]],
    ];
    for (const [method, params] of cases) {
      const r = await client.raw(method, params);
      assert.equal(r.error?.code, 'invalid-argument', `${String(method)} ${JSON.stringify(params)}: ${JSON.stringify(r)}`);
    }
    assert.equal((await client.raw('no.such', {})).error?.code, 'unknown-method');
    assert.equal((await client.raw(42, {})).error?.code, 'unknown-method');
    assert.equal((await client.raw('__proto__.x', {})).error?.code, 'unknown-method');
    assert.equal((await client.raw('clusters.overview', { runId: 12345 })).error?.code, 'not-found');
    const info = await client.call('app.info');
    assert.equal(info.platform, 'browser');
  } finally {
    client.close();
  }
});

test('the HTTP call endpoint answers like the socket', async () => {
  const post = (body: string) =>
    fetch(`http://127.0.0.1:${server.port}/api/call`, { method: 'POST', headers: { ...bearer(), 'Content-Type': 'application/json' }, body });
  const ok = (await (await post(JSON.stringify({ method: 'projects.current' }))).json()) as { result: { imageCount: number } };
  assert.equal(ok.result.imageCount, 4);
  const bad = await post('{not json');
  assert.equal(bad.status, 400);
  const unauth = await fetch(`http://127.0.0.1:${server.port}/api/call`, { method: 'POST', body: '{}' });
  assert.equal(unauth.status, 401);
});
