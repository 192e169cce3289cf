// The browser bridge lets in only holders of the per-start token, only from its own origin, and
// serves images by id only.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import WebSocket from 'ws';
import { createServices, type Services } from '../../main/app/services.ts';
import { startBridgeServer, type BridgeServer } from '../../main/server/bridge-server.ts';
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

test('requests without the token get 401, pages and images alike', async () => {
  for (const path of ['/', '/index.html', '/assets/app.js', '/img/thumb/1', '/api/call']) {
    assert.equal((await get(path)).status, 401, path);
  }
  assert.equal((await get('/', { Authorization: 'Bearer wrong-token' })).status, 401);
  assert.equal((await get('/?token=wrong')).status, 401);
  assert.equal((await get('/', { Cookie: `spice_token_${server.port}=wrong` })).status, 401);
});

test('the token in the address becomes an HttpOnly SameSite=Strict cookie that then opens everything', async () => {
  const first = await get(`/?token=${server.token}`);
  assert.equal(first.status, 303);
  assert.equal(first.headers.location, '/');
  const cookie = String(first.headers['set-cookie']);
  assert.match(cookie, /HttpOnly/);
  assert.match(cookie, /SameSite=Strict/);
  const pair = cookie.split(';')[0];
  const page = await get('/', { Cookie: pair });
  assert.equal(page.status, 200);
  assert.match(String(page.headers['content-security-policy']), /script-src 'self'/);
  assert.match(page.body.toString(), /SPICE Workbench/);
  const thumb = await get('/img/thumb/1', { Cookie: pair });
  assert.equal(thumb.status, 200);
});

test('WebSocket upgrade needs the token and this server as origin', async () => {
  assert.equal(await upgradeStatus({}), 401);
  assert.equal(await upgradeStatus({ Authorization: 'Bearer nope' }), 401);
  assert.equal(await upgradeStatus({ ...bearer(), Origin: 'http://evil.example' }), 403);
  assert.equal(await upgradeStatus({ ...bearer(), Origin: `http://127.0.0.1:${server.port + 1}` }), 403);
  assert.equal(await upgradeStatus({ ...bearer(), Origin: `http://127.0.0.1:${server.port}` }), 101);
  assert.equal(await upgradeStatus({ Cookie: `spice_token_${server.port}=${server.token}`, Origin: `http://localhost:${server.port}` }), 101);
  assert.equal(await upgradeStatus(bearer(), '/not-ws'), 404);
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
