// The Electron IPC adapter refuses calls from anything but the app's own main frame and validates
// every argument; checked with fake invoke events (no Electron binary needed).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServices } from '../../main/app/services/index.ts';
import { createIpcHandler, originOf, type InvokeEventLike } from '../../main/electron/ipc-adapter.ts';
import { makeTempDir } from '../helpers/cifar-subset.ts';

const state = makeTempDir('spice-state-');
const services = createServices({ platform: 'electron', stateDir: state.dir });
after(() => {
  services.dispose();
  state.cleanup();
});

const APP_WINDOW = 7;
const handler = createIpcHandler(services, { allowedOrigins: ['spice-app://renderer'], isAppContents: (id) => id === APP_WINDOW });

function fakeEvent(url: string, options: { contentsId?: number; subFrame?: boolean; noFrame?: boolean } = {}): InvokeEventLike {
  const mainFrame = { url: 'spice-app://renderer/index.html' };
  const frame = options.subFrame ? { url } : Object.assign(mainFrame, { url });
  return {
    senderFrame: options.noFrame ? null : (frame as never),
    sender: { id: options.contentsId ?? APP_WINDOW, mainFrame },
  };
}

test('origins of custom schemes are scheme://host', () => {
  assert.equal(originOf('spice-app://renderer/index.html#/clusters'), 'spice-app://renderer');
  assert.equal(originOf('http://localhost:5173/x'), 'http://localhost:5173');
  assert.equal(originOf('file:///etc/passwd'), null);
  assert.equal(originOf('not a url'), null);
});

test('the app page may call', async () => {
  const outcome = await handler(fakeEvent('spice-app://renderer/index.html'), 'app.info', undefined);
  assert.ok('result' in outcome);
  assert.equal((outcome.result as { platform: string }).platform, 'electron');
});

test('other origins, other windows, sub-frames and vanished frames are refused before dispatch', async () => {
  const refused = [
    fakeEvent('https://evil.example/'),
    fakeEvent('file:///home/user/page.html'),
    fakeEvent('spice-app://other/index.html'),
    fakeEvent('spice-app://renderer/index.html', { contentsId: 99 }),
    fakeEvent('spice-app://renderer/index.html', { subFrame: true }),
    fakeEvent('spice-app://renderer/index.html', { noFrame: true }),
  ];
  for (const event of refused) {
    const outcome = await handler(event, 'app.info', undefined);
    assert.ok('error' in outcome, JSON.stringify(event));
    assert.equal(outcome.error.code, 'unauthorized');
  }
});

test('every argument is validated; bad ones come back as errors', async () => {
  const event = fakeEvent('spice-app://renderer/index.html');
  const bad: Array<[unknown, unknown]> = [
    ['projects.open', { dir: 42 }],
    ['projects.open', { dir: '../up' }],
    ['corrections.move', { imageIds: 'all', className: 'cat' }],
    ['clusters.overview', { runId: 0 }],
    ['export.folders', { runId: 1, mode: 'move' }],
    ['map.projection', {}],
  ];
  for (const [method, params] of bad) {
    const outcome = await handler(event, method, params);
    assert.ok('error' in outcome && outcome.error.code === 'invalid-argument', `${String(method)}: ${JSON.stringify(outcome)}`);
  }
  const unknown = await handler(event, 'fs.readFile', { path: '/etc/passwd' });
  assert.ok('error' in unknown && unknown.error.code === 'unknown-method');
  const noProject = await handler(event, 'runs.list', undefined);
  assert.ok('error' in noProject && noProject.error.code === 'no-project');
  const noDialog = await handler(event, 'app.chooseFolder', undefined);
  assert.ok('error' in noDialog && noDialog.error.code === 'not-available');
});
