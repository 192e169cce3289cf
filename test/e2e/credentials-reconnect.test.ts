// The browser bridge's credential and its connection, in headless Chromium against the built renderer:
// - the page takes the token from the printed address once, drops it from the address bar, keeps it for
//   this tab only and never in a cookie: a second web server on 127.0.0.1 the person visits next sees
//   neither the token nor the image key;
// - with the server gone the page says it is reconnecting and a move fails at once with a toast that
//   says why (it used to wait without a word);
// - when the same server comes back (as after a dropped SSH tunnel) the page reconnects by itself and
//   the move works; when a restarted server (a new token) answers, the page says plainly that it must
//   be opened from the new address, and that address works.
import { after, before, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { createServices, type Services } from '../../main/app/services/index.ts';
import { newToken } from '../../main/server/auth.ts';
import { startBridgeServer, type BridgeServer } from '../../main/server/bridge-server.ts';
import { runKmeans } from '../../main/pipeline/cluster/run-kmeans.ts';
import { makeTempDir } from '../helpers/cifar-subset.ts';
import { getEmbeddedProject } from '../helpers/embedded-project.ts';
import { chromiumAvailable, openBrowser, screenshot, type BrowserSession } from './helpers/browser.ts';
import { buildRenderer } from './helpers/build.ts';
import { stepper } from './helpers/steps.ts';

const skip = chromiumAvailable() ? false : 'no Chromium at /usr/bin/chromium (set SPICE_CHROMIUM)';

/** A plain local web server that writes down everything browsers send it. */
async function recordingServer(): Promise<{ server: Server; port: number; seen: Array<{ url: string; headers: IncomingHttpHeaders }> }> {
  const seen: Array<{ url: string; headers: IncomingHttpHeaders }> = [];
  const server = createServer((req, res) => {
    seen.push({ url: req.url ?? '', headers: req.headers });
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><title>another local server</title><img src="/pixel.png"><p>hello</p>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port, seen };
}

describe('browser bridge: credential and reconnect', { skip, timeout: 240_000 }, () => {
  let temp: ReturnType<typeof makeTempDir>;
  let copyCleanup: () => void;
  let services: Services;
  let bridge: BridgeServer;
  let port = 0;
  let browser: BrowserSession;
  let page: Page;
  let other: Awaited<ReturnType<typeof recordingServer>>;
  let imageIds: number[] = [];
  const token = newToken();

  before(async () => {
    buildRenderer();
    const source = await getEmbeddedProject();
    const copy = source.copy();
    copyCleanup = copy.cleanup;
    await runKmeans(copy.project, { k: 2, seed: 0, restarts: 2 });
    imageIds = copy.project.db.prepare('SELECT id FROM images ORDER BY id').pluck().all() as number[];
    copy.project.close();
    temp = makeTempDir('spice-reconnect-');
    services = createServices({ platform: 'browser', stateDir: temp.dir });
    const opened = await services.dispatch('projects.open', { dir: copy.dir });
    assert.ok(opened.ok, JSON.stringify(opened));
    bridge = await startBridgeServer({ services, token });
    port = bridge.port;
    other = await recordingServer();
    browser = await openBrowser({ width: 1280, height: 800 });
    page = browser.page;
    page.setDefaultTimeout(20_000);
  });

  after(async () => {
    await browser?.close();
    await bridge?.close();
    await new Promise<void>((resolve) => (other ? other.server.close(() => resolve()) : resolve()));
    services?.dispose();
    copyCleanup?.();
    temp?.cleanup();
  });

  const step = stepper(() => page, 'reconnect-failure');

  const personLabel = (imageId: number) =>
    services.session.requireProject().db.prepare('SELECT class_name FROM person_labels WHERE image_id = ?').pluck().get(imageId) as string | undefined;

  async function openGrid(): Promise<void> {
    await page.goto(`http://127.0.0.1:${port}/#/grid?cluster=0`);
    await page.locator('[data-testid=screen-grid] [role=gridcell][data-image-id]').first().waitFor();
  }

  /** Selects one image of the grid and moves it with the class picker (M, type, Enter). */
  async function moveFirstImage(className: string): Promise<number> {
    const cell = page.locator('[data-testid=screen-grid] [role=gridcell][data-image-id]').first();
    const imageId = Number(await cell.getAttribute('data-image-id'));
    await cell.click();
    await page.keyboard.press('m');
    await page.getByTestId('class-picker').waitFor();
    await page.keyboard.type(className);
    // A new class is made only on an explicit choice (Shift+Enter); plain Enter takes an existing one.
    await page.keyboard.press('Shift+Enter');
    return imageId;
  }

  step('takes the token from the address once, keeps it out of the address bar and out of cookies', async () => {
    await page.goto(bridge.url);
    await page.locator('.conn[data-state=open]').waitFor();
    assert.ok(!page.url().includes(token), `token still in ${page.url()}`);
    assert.deepEqual(await browser.context.cookies(), []);
    assert.equal(await page.evaluate(() => sessionStorage.getItem('spice.bridge.token')), token);
    // A reload (no token in the address any more) still works: the tab kept it.
    await page.reload();
    await page.locator('.conn[data-state=open]').waitFor();
    await openGrid();
    // Thumbnails load by id with the image key, not the token.
    const src = await page.locator('[data-testid=screen-grid] [role=gridcell] img').first().getAttribute('src');
    assert.ok(src && src.includes(`k=${bridge.imageKey}`) && !src.includes(token), `thumbnail address ${src}`);
    await page.waitForFunction(() => {
      const img = document.querySelector('[data-testid=screen-grid] [role=gridcell] img') as HTMLImageElement | null;
      return !!img && img.complete && img.naturalWidth > 0;
    });
  });

  step('a second local web server the person visits next never sees the token or the image key', async () => {
    for (const host of ['127.0.0.1', 'localhost']) {
      await page.goto(`http://${host}:${other.port}/any/page`);
      await page.getByText('hello').waitFor();
    }
    assert.ok(other.seen.length >= 2, 'the other server was visited');
    const everything = JSON.stringify(other.seen);
    assert.ok(!everything.includes(token), `the other server received the token: ${everything}`);
    assert.ok(!everything.includes(bridge.imageKey), `the other server received the image key: ${everything}`);
    assert.ok(
      other.seen.every((r) => r.headers.cookie === undefined),
      `cookies sent to the other server: ${everything}`,
    );
    // Back to the workbench without the token in the address: this tab still holds it.
    await openGrid();
  });

  step('with the server gone the page says it is reconnecting and a move fails at once with a toast', async () => {
    await bridge.close();
    await page.locator('[data-testid=connection-banner][data-state=reconnecting]').waitFor();
    const imageId = await moveFirstImage('ship');
    const toast = page.locator('.toast[data-kind=error]').filter({ hasText: 'Move failed' });
    await toast.waitFor({ timeout: 5_000 });
    assert.match((await toast.textContent()) ?? '', /connection to the workbench server is lost/);
    await screenshot(page, 'reconnecting');
    assert.equal(personLabel(imageId), undefined, 'nothing was written');
  });

  step('the same server back on its port: the page reconnects by itself and the move works', async () => {
    bridge = await startBridgeServer({ services, token, port });
    await page.locator('.conn[data-state=open]').waitFor({ timeout: 20_000 });
    await page.locator('[data-testid=connection-banner]').waitFor({ state: 'detached' });
    const imageId = await moveFirstImage('ship');
    await page.waitForFunction(() => !!document.querySelector('.toast[data-kind=success]'));
    assert.equal(personLabel(imageId), 'ship');
  });

  step('a restarted server (a new token) is said plainly; its new address opens the page', async () => {
    await bridge.close();
    await page.locator('[data-testid=connection-banner][data-state=reconnecting]').waitFor();
    bridge = await startBridgeServer({ services, port });
    assert.notEqual(bridge.token, token);
    const banner = page.locator('[data-testid=connection-banner][data-state=restarted]');
    await banner.waitFor({ timeout: 20_000 });
    assert.match((await banner.textContent()) ?? '', /restarted.*open the address it printed/s);
    await screenshot(page, 'restarted');
    const imageId = await moveFirstImage('cat');
    await page
      .locator('.toast[data-kind=error]')
      .filter({ hasText: /Move failed.*was restarted/ })
      .waitFor({ timeout: 5_000 });
    assert.equal(personLabel(imageId), 'ship', 'the refused move changed nothing');
    // A fresh load of the old address is told the same, before anything else happens.
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.getByTestId('bridge-problem').getByText('restarted').first().waitFor();
    // The new address works, with nothing else to do.
    await page.goto(bridge.url);
    await page.locator('.conn[data-state=open]').waitFor();
    assert.equal(await page.evaluate(() => sessionStorage.getItem('spice.bridge.token')), bridge.token);
    assert.ok(imageIds.length > 0);
  });

  step('a page opened without any token says which address to open', async () => {
    const fresh = await browser.context.newPage();
    try {
      await fresh.goto(`http://127.0.0.1:${port}/`);
      await fresh.getByTestId('bridge-problem').getByText('needs its access address').waitFor();
    } finally {
      await fresh.close();
    }
  });
});
