// What a person sees first after `npm run demo` or `spice-workbench serve --project <dir>`: a project
// with a finished run opens on its clusters overview (not the new-project form), with thumbnails on
// the first screen; an address that names a screen keeps it.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { runKmeans } from '../../main/pipeline/cluster/run-kmeans.ts';
import { makeTempDir } from '../helpers/cifar-subset.ts';
import { getEmbeddedProject } from '../helpers/embedded-project.ts';
import { chromiumAvailable, openBrowser, screenshot, type BrowserSession } from './helpers/browser.ts';
import { buildRenderer } from './helpers/build.ts';
import { startServe, type ServedApp } from './helpers/serve.ts';

const K = 10;
const skip = chromiumAvailable() ? false : 'no Chromium at /usr/bin/chromium (set SPICE_CHROMIUM)';

describe('opening a clustered project', { skip, timeout: 180_000 }, () => {
  let temp: ReturnType<typeof makeTempDir>;
  let cleanupCopy = () => {};
  let served: ServedApp;
  let browser: BrowserSession;
  let page: Page;

  before(async () => {
    buildRenderer();
    const embedded = await getEmbeddedProject({ perClass: 30 });
    const copy = embedded.copy();
    cleanupCopy = copy.cleanup;
    await runKmeans(copy.project, { k: K, seed: 0 });
    copy.project.close(); // the server opens it itself
    temp = makeTempDir('spice-first-open-');
    served = await startServe({ home: join(temp.dir, 'home'), project: copy.dir });
    browser = await openBrowser();
    page = browser.page;
    page.setDefaultTimeout(20_000);
  });

  after(async () => {
    await browser?.close();
    await served?.stop();
    cleanupCopy();
    temp?.cleanup();
  });

  it('starts on the clusters overview with loaded thumbnails on the first screen', async () => {
    await page.goto(served.url);
    await page.waitForSelector('[data-testid=screen-clusters]');
    assert.equal(new URL(page.url()).hash, '#/clusters');
    assert.equal(await page.locator('[data-testid=screen-projects]').count(), 0, 'the new-project form is not shown');
    await page.locator('[data-testid=cluster-card]').first().waitFor();
    assert.equal(await page.locator('[data-testid=cluster-card]').count(), K);
    // Thumbnails inside the first screen, decoded (not just <img> elements).
    const loaded = await page.waitForFunction(
      () => {
        const inView = [...document.querySelectorAll<HTMLImageElement>('[data-testid=cluster-card] img')].filter((img) => {
          const r = img.getBoundingClientRect();
          return r.bottom > 0 && r.top < innerHeight && r.right > 0 && r.left < innerWidth;
        });
        const decoded = inView.filter((img) => img.complete && img.naturalWidth > 0);
        return decoded.length >= 8 && decoded.length === inView.length ? decoded.length : false;
      },
      null,
      { timeout: 30_000, polling: 200 },
    );
    assert.ok(Number(await loaded.jsonValue()) >= 8);
    await screenshot(page, 'first-open-clusters');
  });

  it('keeps a screen named in the address', async () => {
    await page.goto(new URL('/#/projects', served.origin).href);
    await page.waitForSelector('[data-testid=screen-projects]');
    await page.reload();
    await page.waitForSelector('[data-testid=screen-projects]');
    assert.equal(new URL(page.url()).hash, '#/projects');
  });

  it('raised no console errors', () => {
    assert.deepEqual(browser.problems, []);
  });
});
