// End to end in a real browser: the bridge (`spice-workbench serve`) on a temp project, headless
// Chromium driving the built renderer over the WebSocket, on 200 of the shipped labelled CIFAR-10 demo
// images and the shipped MobileNet v1. Creates a project, imports, runs the pipeline, names clusters, moves an image,
// undoes and redoes, exports CSV and checks the file. Saves a screenshot of every screen.
import { after, before, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { makeCifarSubset, makeTempDir } from '../helpers/cifar-subset.ts';
import { MOBILENET_V1 } from '../helpers/paths.ts';
import { chromiumAvailable, openBrowser, screenshot, type BrowserSession } from './helpers/browser.ts';
import { buildRenderer } from './helpers/build.ts';
import { parseCsv } from './helpers/csv.ts';
import { startServe, type ServedApp } from './helpers/serve.ts';
import { stepper } from './helpers/steps.ts';

const PER_CLASS = 20;
/** 'spice' (default): the whole pipeline as one job. 'kmeans': embed and k-means by their own buttons. */
const STAGES = process.env.SPICE_E2E_STAGES === 'kmeans' ? 'kmeans' : 'spice';
const K = 10;
const skip = chromiumAvailable() ? false : 'no Chromium at /usr/bin/chromium (set SPICE_CHROMIUM)';

describe('workbench in the browser', { skip, timeout: 240_000 }, () => {
  let data: ReturnType<typeof makeCifarSubset>;
  let temp: ReturnType<typeof makeTempDir>;
  let served: ServedApp;
  let browser: BrowserSession;
  let page: Page;
  let projectDir: string;
  // Shared between steps.
  let movedImageId = 0;
  let movedRelPath = '';

  before(async () => {
    buildRenderer();
    data = makeCifarSubset(PER_CLASS);
    temp = makeTempDir('spice-e2e-');
    projectDir = join(temp.dir, 'project');
    served = await startServe({ home: join(temp.dir, 'home') });
    browser = await openBrowser();
    page = browser.page;
    page.setDefaultTimeout(20_000);
  });

  after(async () => {
    await browser?.close();
    await served?.stop();
    data?.cleanup();
    temp?.cleanup();
  });

  // The steps build on each other: after the first failure the rest are skipped, not timed out one by one.
  const step = stepper(() => page, 'failure');

  /** Waits until the newest job of `kind` ends and asserts it ended 'done'. */
  async function waitJob(kind: string, timeout: number): Promise<void> {
    const job = page.locator(`[data-job-kind=${kind}]`).first();
    await job.waitFor();
    await page.waitForFunction(
      (k) => {
        const el = document.querySelector(`[data-job-kind=${k}]`);
        return !!el && el.getAttribute('data-job-state') !== 'running';
      },
      kind,
      { timeout, polling: 500 },
    );
    const state = await job.getAttribute('data-job-state');
    assert.equal(state, 'done', `${kind} ended ${state}: ${await job.textContent()}\n${served.stderr().slice(-2000)}`);
  }

  async function go(screen: string): Promise<void> {
    await page.click(`[data-testid=nav-${screen}]`);
    await page.waitForSelector(`[data-testid=screen-${screen}]`);
  }

  function cellOf(imageId: number) {
    return page.locator(`[data-testid=screen-grid] [role=gridcell][data-image-id="${imageId}"]`);
  }

  step('opens on the projects screen and validates the folder fields', async () => {
    await page.goto(served.url);
    await page.waitForSelector('[data-testid=screen-projects]');
    // The page moved the token from the address into this tab's storage: no cookie, nothing in the address bar.
    assert.ok(!page.url().includes('token='), `token still in ${page.url()}`);
    assert.deepEqual(await browser.context.cookies(), [], 'the bridge sets no cookie');
    await page.click('[data-testid=project-submit]');
    await page.getByText('Required').waitFor();
    await page.fill('#project-dir', 'relative/folder');
    await page.locator('#project-dir').blur();
    await page.getByText('Use an absolute path').waitFor();
    await page.fill('#project-dir', projectDir);
    await page.fill('#image-folder', join(temp.dir, 'does-not-exist'));
    await page.click('[data-testid=project-submit]');
    // The main process refuses a missing image folder; the message lands under that field.
    await page.locator('#image-folder-msg.error-text').waitFor();
    assert.match((await page.locator('#image-folder-msg').textContent()) ?? '', /does not exist/);
    await page.fill('#image-folder', data.dir);
    await page.check('[data-testid=labels-from-folders]');
    await screenshot(page, 'projects');
    await page.click('[data-testid=project-submit]');
    await page.waitForSelector('[data-testid=screen-pipeline]');
  });

  step('imports the images as a job with progress', async () => {
    const job = page.locator('[data-job-kind=import]').first();
    await job.waitFor();
    await page.locator('[data-job-kind=import][data-job-state=done]').waitFor({ timeout: 60_000 });
    await page.getByText(`${data.count} imported`).waitFor();
  });

  step('runs the pipeline (embed, k-means, SPICE) and shows every job with count, rate and ETA', async () => {
    const backbones = await page.locator('#p-backbone option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
    const backbone = backbones.find((v) => v === MOBILENET_V1) ?? backbones.find((v) => v.startsWith('mobilenet_v1')) ?? backbones[0];
    assert.ok(backbone, 'no backbone offered');
    await page.selectOption('#p-backbone', backbone);
    // Small and quick: 64-px input, one weak, one strong and one fixed view.
    await page.selectOption('#p-size', '64');
    await page.fill('#p-weak', '1');
    await page.fill('#p-strong', '1');
    await page.fill('#p-fixed', '1');
    await page.fill('#p-k', String(K));
    await page.fill('#p-seed', '0');
    // Start the embedding alone and cancel it: the job ends 'cancelled' and the stored rows stay usable.
    await page.click('button:has-text("Embed only")');
    await page.locator('[data-job-kind=embed][data-job-state=running] [data-testid=cancel-job]').click();
    await page.locator('[data-job-kind=embed][data-job-state=cancelled]').first().waitFor({ timeout: 30_000 });
    await page.locator('[data-testid=run-pipeline]:enabled').waitFor();
    if (STAGES === 'kmeans') {
      // Stage by stage with the k-means baseline (the per-stage buttons; no SPICE training).
      await page.selectOption('#p-method', 'kmeans');
      await page.click('button:has-text("Embed only")');
      await waitJob('embed', 120_000);
      await page.click('button:has-text("Cluster only")');
      await waitJob('cluster', 60_000);
    } else {
      await page.selectOption('#p-method', 'spice');
      await page.check('[data-testid=spice-quick]');
      await page.click('[data-testid=run-pipeline]');
      // Either the job starts or the screen says why it could not (e.g. a stage that is not installed).
      await page.locator('[data-job-kind=pipeline], [data-testid=pipeline-error]').first().waitFor();
      const refused = page.getByTestId('pipeline-error');
      if (await refused.count()) assert.fail(`the pipeline did not start: ${await refused.textContent()}`);
      // While it runs: a bar with "done / total unit", a rate and an ETA.
      // The first event of a stage may carry no rate yet, so wait for a bar that shows all three.
      const barText = await page.waitForFunction(
        () =>
          [...document.querySelectorAll('[data-job-state=running] [data-testid=progress]')]
            .map((el) => el.textContent ?? '')
            .find((t) => /\d+ \/ \d+ .*\/(s|min).*ETA/s.test(t)) ?? false,
        null,
        { timeout: 60_000 },
      );
      assert.match(String(await barText.jsonValue()), /\d+ \/ \d+ .*\/(s|min).*ETA/s);
      await screenshot(page, 'pipeline-running');
      await waitJob('pipeline', 200_000);
    }
    await page.locator('[data-testid=runs-table] tbody tr').first().waitFor();
    assert.match((await page.locator('[data-testid=backend-info]').textContent()) ?? '', /Training backend\s*\S+/);
    await screenshot(page, 'pipeline');
  });

  step('shows one card per cluster and renames clusters inline', async () => {
    await go('clusters');
    const cards = page.locator('[data-testid=cluster-card]');
    await cards.first().waitFor();
    assert.equal(await cards.count(), K);
    // Names: cluster 0 "alpha", cluster 1 "bravo".
    for (const [cluster, name] of [
      [0, 'alpha'],
      [1, 'bravo'],
    ] as const) {
      const input = page.locator(`[data-testid=cluster-card][data-cluster="${cluster}"] input`);
      await input.fill(name);
      await input.press('Enter');
    }
    // (No named functions inside page callbacks: tsx's __name helper does not exist in the page.)
    await page.waitForFunction(
      () =>
        [0, 1].map((c) => (document.querySelector(`[data-testid=cluster-card][data-cluster="${c}"] input`) as HTMLInputElement | null)?.value).join() === 'alpha,bravo',
    );
    // The overview reloads from the service with both names stored.
    await page.getByText(`2 of ${K} named`).waitFor();
    await screenshot(page, 'clusters');
  });

  step('shows a cluster in a virtual grid; selects, moves, undoes and redoes', async () => {
    await page.click('[data-testid=cluster-card][data-cluster="0"] .thumbs');
    await page.waitForSelector('[data-testid=screen-grid]');
    const cells = page.locator('[data-testid=screen-grid] [role=gridcell][data-image-id]');
    await cells.first().waitFor();
    const first = cells.nth(0);
    movedImageId = Number(await first.getAttribute('data-image-id'));

    // Click, ctrl-click, shift-click.
    await first.click();
    await page.getByTestId('selection-count').getByText('1 selected').waitFor();
    const n = await cells.count();
    if (n >= 3) {
      await cells.nth(2).click({ modifiers: ['Control'] });
      await page.getByTestId('selection-count').getByText('2 selected').waitFor();
      await cells.nth(1).click({ modifiers: ['Shift'] });
      await page.getByTestId('selection-count').getByText('2 selected').waitFor(); // anchor 2 .. 1
    }
    // Keyboard: Ctrl-A selects the whole cluster, Esc clears.
    await page.keyboard.press('Control+a');
    await page.getByTestId('selection-count').getByText(`${n} selected`).waitFor();
    await page.keyboard.press('Escape');
    await first.click();
    await screenshot(page, 'grid');

    // Move the one selected image to "bravo" with the picker (M, type, Enter).
    await page.keyboard.press('m');
    await page.getByTestId('class-picker').waitFor();
    await page.keyboard.type('bravo');
    await screenshot(page, 'grid-move-picker');
    await page.keyboard.press('Enter');
    const moved = cellOf(movedImageId);
    await moved.getByText('→ bravo').waitFor();

    // Undo and redo with the keyboard, using the states the corrections calls returned.
    await page.keyboard.press('Control+z');
    await moved.getByText('→ bravo').waitFor({ state: 'detached' });
    await page.keyboard.press('Control+Shift+z');
    await cellOf(movedImageId).getByText('→ bravo').waitFor();

    // Sort by doubt, and the shortcuts overlay.
    await page.click('button[role=radio]:has-text("Doubt")');
    await page.waitForFunction(() => location.hash.includes('sort=doubt'));
    await page.keyboard.press('?');
    await page.getByTestId('help-overlay').waitFor();
    await screenshot(page, 'help');
    await page.keyboard.press('Escape');
    await page.getByTestId('help-overlay').waitFor({ state: 'detached' });
  });

  step('keeps only the visible rows of a grid in the DOM', async () => {
    // A small window and the largest thumbnails, so one cluster needs far more rows than fit.
    await page.setViewportSize({ width: 900, height: 560 });
    await page.evaluate(() => localStorage.setItem('spice.grid.cell', '256'));
    const sizes = await page
      .locator('[data-testid=cluster-item]')
      .evaluateAll((els) => els.map((el) => ({ cluster: Number(el.getAttribute('data-cluster')), size: Number(el.querySelector('.num.small')?.textContent ?? 0) })));
    const largest = sizes.sort((a, b) => b.size - a.size)[0];
    await page.goto(new URL(`/#/grid?cluster=${largest.cluster}`, served.origin).href);
    await page.reload();
    const grid = page.getByTestId('virtual-grid');
    await page.locator('[data-testid=screen-grid] [role=gridcell][data-image-id]').first().waitFor();
    const geometry = await grid.evaluate((el) => ({ cols: Number(el.getAttribute('aria-colcount')), height: el.clientHeight }));
    const inDom = await page.locator('[data-testid=screen-grid] [role=gridcell]').count();
    const maxRows = Math.ceil(geometry.height / 260) + 1 + 2 * 3; // visible, a partial one, overscan above and below
    assert.ok(inDom <= maxRows * geometry.cols, `${inDom} cells in the DOM (${geometry.cols} columns, ${geometry.height}px high)`);
    assert.ok(inDom < largest.size, `all ${largest.size} images are in the DOM`);
    // End: the last image is rendered, the first is gone.
    await grid.focus();
    await page.keyboard.press('End');
    await page.locator(`[data-testid=screen-grid] [role=gridcell][data-index="${largest.size - 1}"][data-image-id]`).waitFor();
    assert.equal(await page.locator('[data-testid=screen-grid] [role=gridcell][data-index="0"]').count(), 0);
    await page.evaluate(() => localStorage.setItem('spice.grid.cell', '96'));
    await page.setViewportSize({ width: 1440, height: 900 });
    await page.reload();
    await page.locator('[data-testid=screen-grid] [role=gridcell][data-image-id]').first().waitFor();
  });

  step('shows an image large with its probabilities and neighbours', async () => {
    await page.goto(new URL(`/#/image?id=${movedImageId}`, served.origin).href);
    await page.waitForSelector('[data-testid=screen-image]');
    const img = page.getByTestId('image-large');
    await img.waitFor();
    await page.waitForFunction(() => {
      const el = document.querySelector('[data-testid=image-large]') as HTMLImageElement | null;
      return !!el && el.complete && el.naturalWidth > 0;
    });
    // CIFAR images are 32 px: shown upscaled and pixelated.
    const style = await img.evaluate((el) => ({ w: el.clientWidth, natural: (el as HTMLImageElement).naturalWidth, rendering: getComputedStyle(el).imageRendering }));
    assert.ok(style.w >= style.natural * 4, `shown at ${style.w}px for ${style.natural}px`);
    assert.equal(style.rendering, 'pixelated');
    assert.ok((await page.locator('[data-testid=bar-chart] [role=listitem]').count()) > 0);
    assert.ok((await page.locator('[data-testid=neighbours] img').count()) > 0);
    movedRelPath = (await page.getByTestId('image-path').getAttribute('data-rel-path')) ?? '';
    assert.ok(movedRelPath, 'image path missing');
    await page
      .locator('[data-testid=neighbours] img')
      .first()
      .evaluate((el: HTMLImageElement) => el.decode().catch(() => undefined));
    await screenshot(page, 'image');
  });

  step('maps clusters to classes and shows the confusion matrix', async () => {
    await go('mapping');
    await page.getByTestId('mapping-table').waitFor();
    await page.getByTestId('confusion-matrix').waitFor();
    await page.click('button:has-text("From ground truth")');
    await page.getByTestId('proposal').waitFor();
    await screenshot(page, 'mapping');
    // Accepting names every cluster after its majority label; one undo brings "alpha" back.
    const nameOf0 = page.locator('[data-testid=mapping-table] tbody tr').first().locator('input[type=text]');
    await page.getByTestId('accept-proposal').click();
    await page.getByTestId('proposal').waitFor({ state: 'detached' });
    await page.waitForFunction(() => {
      const input = document.querySelector('[data-testid=mapping-table] tbody tr input[type=text]') as HTMLInputElement | null;
      return !!input && input.value !== '' && input.value !== 'alpha';
    });
    await page.keyboard.press('Control+z');
    await page.waitForFunction(() => (document.querySelector('[data-testid=mapping-table] tbody tr input[type=text]') as HTMLInputElement | null)?.value === 'alpha');
    assert.equal(await nameOf0.inputValue(), 'alpha');
  });

  step('draws the 2-D map and lasso-selects points', async () => {
    await go('map');
    const canvas = page.getByTestId('projection-canvas');
    await canvas.waitFor({ timeout: 90_000 });
    const box = (await canvas.boundingBox())!;
    // A lasso around the whole canvas selects every point.
    await page.mouse.move(box.x + 5, box.y + 5);
    await page.mouse.down();
    for (const [x, y] of [
      [box.width - 5, 5],
      [box.width - 5, box.height - 5],
      [5, box.height - 5],
      [5, 8],
    ]) {
      await page.mouse.move(box.x + x, box.y + y, { steps: 8 });
    }
    await page.mouse.up();
    await page.getByTestId('map-selection').getByText(`${data.count} selected`).waitFor();
    await screenshot(page, 'map');
    await page.keyboard.press('Escape');
  });

  step('exports CSV with the corrections applied', async () => {
    await go('export');
    await screenshot(page, 'export');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=export-csv]')]);
    const file = await download.path();
    const rows = parseCsv(readFileSync(file, 'utf8')).filter((r) => r.length > 1 || r[0] !== '');
    assert.deepEqual(rows[0], ['path', 'class', 'cluster', 'confidence', 'source']);
    assert.equal(rows.length - 1, data.count, 'one row per image');
    const paths = new Set(rows.slice(1).map((r) => r[0]));
    assert.equal(paths.size, data.count, 'no image twice');
    const movedRow = rows.find((r) => r[0] === movedRelPath || r[0].endsWith(`/${movedRelPath}`));
    assert.ok(movedRow, `no row for ${movedRelPath}`);
    assert.equal(movedRow[1], 'bravo');
    // Who gave each label: the moved image's is a person's, the rest the model's.
    assert.equal(movedRow[4], 'person');
    assert.ok(rows.slice(1).every((r) => r === movedRow || r[4] === 'model'));
    // The rest of cluster 1 is "bravo" too, cluster 0's others "alpha".
    assert.ok(rows.some((r) => r[1] === 'alpha'));
    await page.getByTestId('export-preview').waitFor();
    await screenshot(page, 'export');
  });

  step('raised no console errors and no CSP violations', () => {
    assert.deepEqual(browser.problems, []);
  });
});
