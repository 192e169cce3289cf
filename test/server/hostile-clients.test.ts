// Nothing a client sends can take `serve` down: request targets that do not parse, cookies that do not
// decode, and clients that reset the connection while they are refused, in a loop, against the real
// `spice-workbench serve` process. Afterwards it still answers, with the same token.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect as tcpConnect, type Socket } from 'node:net';
import { join } from 'node:path';
import { makeTempDir } from '../helpers/cifar-subset.ts';
import { startServe, type ServedApp } from '../e2e/helpers/serve.ts';

let temp: ReturnType<typeof makeTempDir>;
let served: ServedApp;
let port = 0;
let token = '';

before(async () => {
  temp = makeTempDir('spice-hostile-');
  served = await startServe({ home: join(temp.dir, 'home'), timeoutMs: 180_000 });
  const url = new URL(served.url);
  port = Number(url.port);
  token = url.searchParams.get('token')!;
});

after(async () => {
  await served?.stop();
  temp?.cleanup();
});

function upgradeRequest(target: string, extra: string[] = []): string {
  return [
    `GET ${target} HTTP/1.1`,
    `Host: 127.0.0.1:${port}`,
    'Upgrade: websocket',
    'Connection: Upgrade',
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
    'Sec-WebSocket-Version: 13',
    ...extra,
    '',
    '',
  ].join('\r\n');
}

/** Sends `bytes`; resolves with the status line (or '' when the server closed without one). */
function exchange(bytes: string, options: { reset?: 'before-answer' | 'after-send' } = {}): Promise<string> {
  return new Promise((resolve) => {
    const socket: Socket = tcpConnect(port, '127.0.0.1');
    let got = '';
    let settled = false;
    const done = () => {
      if (settled) return;
      settled = true;
      resolve(got.split('\r\n')[0] ?? '');
    };
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => {
      got += d;
      if (got.includes('\r\n')) {
        socket.destroy();
        done();
      }
    });
    socket.on('close', done);
    socket.on('error', done);
    socket.setTimeout(3000, () => {
      socket.destroy();
      done();
    });
    socket.write(bytes, () => {
      // An abrupt TCP reset (RST), as a client that gives up does.
      if (options.reset === 'after-send') {
        socket.resetAndDestroy();
        done();
      }
    });
  });
}

async function stillServing(): Promise<void> {
  assert.equal(served.child.exitCode, null, `serve exited:\n${served.stderr().slice(-2000)}`);
  assert.equal(served.child.signalCode, null);
  const res = await fetch(`http://127.0.0.1:${port}/api/session`, { headers: { Authorization: `Bearer ${token}` } });
  assert.equal(res.status, 200);
}

test('request targets and cookies that do not parse get a 4xx, on the upgrade path and the plain one', async () => {
  const cases: Array<[string, string]> = [
    ['upgrade to //[/ws', upgradeRequest('//[/ws')],
    ['upgrade to http://%zz/ws', upgradeRequest('http://%zz/ws')],
    ['upgrade to a bare *', upgradeRequest('*')],
    ['upgrade with a cookie that does not decode', upgradeRequest('/ws', [`Cookie: spice_token_${port}=%`])],
    ['upgrade with a protocol header of commas', upgradeRequest('/ws', ['Sec-WebSocket-Protocol: ,,, ,'])],
    ['upgrade with a broken Authorization', upgradeRequest('/ws', ['Authorization: Bearer'])],
    ['GET //[/', `GET //[/ HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`],
    ['GET http://%zz/', `GET http://%zz/ HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`],
    ['GET with a cookie that does not decode', `GET /api/session HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nCookie: spice_token_${port}=%\r\n\r\n`],
    ['a request line that is not HTTP', 'HELLO\r\n\r\n'],
  ];
  for (const [what, bytes] of cases) {
    const status = await exchange(bytes);
    assert.match(status, /^HTTP\/1\.1 4\d\d /, `${what}: ${JSON.stringify(status)}`);
    await stillServing();
  }
});

test('clients resetting the connection while refused, in a loop, leave serve answering', async () => {
  for (let i = 0; i < 300; i++) {
    const kind = i % 3;
    const bytes = kind === 0 ? upgradeRequest('/ws') : kind === 1 ? upgradeRequest('//[/ws') : upgradeRequest('/ws', [`Authorization: Bearer ${'x'.repeat(43)}`]);
    await exchange(bytes, { reset: 'after-send' });
  }
  // A few hundred at once, mixed with malformed ones.
  await Promise.all(Array.from({ length: 200 }, (_, i) => exchange(i % 2 ? upgradeRequest('/ws') : upgradeRequest('http://%zz/ws'), { reset: 'after-send' })));
  await stillServing();
});
