// End to end in a real browser: the labelling loop as a person works it. Headless Chromium drives the
// built renderer over the bridge (`spice-workbench serve`) on 200 CIFAR-10 images embedded for real
// (MobileNet v1, plain view plus one weak and one strong view) and clustered with a quick SPICE run, with the
// folder labels taken away so it is a project without ground truth. It checks the grid's keys without a
// click, class hotkeys, accept / accept the rest / hide labelled / more like these, the grid's memory
// across screens and a reload, the review queue, label import with bad rows and its undo, class rename /
// merge / delete with undo, refine and the new run, names carried over by a re-run, the map's move
// dialog and lasso grid, Esc from the image view, the mapping screen's sizes and thumbnails, and the
// folder export's folder list. Saves screenshots of the review queue, the grid and the class list.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { makeTempDir } from '../helpers/cifar-subset.ts';
import { getEmbeddedProject, type EmbeddedProject } from '../helpers/embedded-project.ts';
import { runSpice } from '../../main/pipeline/cluster/spice.ts';
import { chromiumAvailable, openBrowser, screenshot, type BrowserSession } from './helpers/browser.ts';
import { buildRenderer } from './helpers/build.ts';
import { startServe, type ServedApp } from './helpers/serve.ts';

const PER_CLASS = 20;
const K = 10;
/** The clusters with images get these names, in order, all but the last one, which stays unnamed. */
const NAMES = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india'];
const skip = chromiumAvailable() ? false : 'no Chromium at /usr/bin/chromium (set SPICE_CHROMIUM)';

describe('the labelling loop in the browser', { skip, timeout: 420_000 }, () => {
  let temp: ReturnType<typeof makeTempDir>;
  let copy: ReturnType<EmbeddedProject['copy']>;
  let imagesDir = '';
  let served: ServedApp;
  let browser: BrowserSession;
  let page: Page;
  /** Clusters of the first run that hold images (a quick SPICE run on 200 images may leave some empty), and their sizes. */
  let full: number[] = [];
  let sizes = new Map<number, number>();
  /** Clusters named in the second step (all of `full` but the last). */
  let named: number[] = [];
  /** The first cluster with three images or more: the grid's keys and accepting are tried there. */
  let target = -1;

  before(async () => {
    buildRenderer();
    const embedded = await getEmbeddedProject({ perClass: PER_CLASS, views: { weak: 1, strong: 1 } });
    imagesDir = embedded.imagesDir;
    copy = embedded.copy();
    const { project } = copy;
    // No folder labels: the person's labels are all there is.
    project.db.prepare('UPDATE images SET label = NULL').run();
    // A quick SPICE run (refine starts from a SPICE classifier).
    await runSpice(project, { backbone: embedded.backboneName, k: K, seed: 0, quick: true });
    project.close();
    temp = makeTempDir('spice-e2e-label-');
    served = await startServe({ home: join(temp.dir, 'home'), project: copy.dir });
    browser = await openBrowser();
    page = browser.page;
    page.setDefaultTimeout(20_000);
  });

  after(async () => {
    await browser?.close();
    await served?.stop();
    copy?.cleanup();
    temp?.cleanup();
  });

  // The steps build on each other: after the first failure the rest are skipped, not timed out one by one.
  let broken: string | null = null;
  function step(name: string, fn: () => Promise<void> | void): void {
    it(name, async (t) => {
      if (broken) return t.skip(`an earlier step failed: ${broken}`);
      try {
        await fn();
      } catch (err) {
        broken = name;
        await screenshot(page, 'labelling-failure').catch(() => undefined);
        throw err;
      }
    });
  }

  const gridCells = () => page.locator('[data-testid=screen-grid] [role=gridcell][data-image-id]');
  const reviewCells = () => page.locator('[data-testid=screen-review] [role=gridcell][data-image-id]');
  const hash = () => page.evaluate(() => location.hash);
  const selectionCount = (screen = 'grid') => page.locator(`[data-testid=screen-${screen}] [data-testid=selection-count]`);
  const personLabels = async () => Number(((await page.locator('footer').textContent()) ?? '').match(/(\d+) person label/)?.[1] ?? NaN);

  async function key(k: string, screen: string): Promise<void> {
    await page.keyboard.press(k);
    await page.locator(`[data-testid=screen-${screen}]`).waitFor();
  }

  async function waitHash(part: string): Promise<void> {
    await page.waitForFunction((p) => location.hash.includes(p), part);
  }

  /** The selected cells' image ids, in grid order. */
  function selectedIds(): Promise<number[]> {
    return page.locator('[role=gridcell][aria-selected=true]').evaluateAll((els) => els.map((el) => Number(el.getAttribute('data-image-id'))));
  }

  async function waitJob(kind: string, count: number, timeout: number): Promise<void> {
    await page.waitForFunction(
      ({ k, n }) => {
        const jobs = [...document.querySelectorAll(`[data-job-kind=${k}]`)];
        return jobs.length >= n && jobs[0].getAttribute('data-job-state') !== 'running';
      },
      { k: kind, n: count },
      { timeout, polling: 500 },
    );
    const state = await page.locator(`[data-job-kind=${kind}]`).first().getAttribute('data-job-state');
    assert.equal(state, 'done', `${kind} job ended ${state}\n${served.stderr().slice(-2000)}`);
  }

  step('opens the grid doubt-first, and ], [, S and Space work without a click', async () => {
    await page.goto(served.url);
    await page.waitForSelector('[data-testid=screen-clusters]'); // a project with a finished run opens on its clusters
    await key('Alt+4', 'grid');
    await gridCells().first().waitFor();
    const items = await page
      .locator('[data-testid=cluster-item]')
      .evaluateAll((els) => els.map((el) => [Number(el.getAttribute('data-cluster')), Number(el.querySelector('.size')?.textContent ?? 0)] as [number, number]));
    sizes = new Map(items);
    full = items.filter(([, n]) => n > 0).map(([c]) => c);
    assert.ok(full.length >= 5, `clusters with images: ${JSON.stringify(items)}`);
    // The first cluster with images, most doubtful first.
    assert.match(await hash(), new RegExp(`cluster=${full[0]}&`));
    assert.match(await hash(), /sort=doubt/);
    // The cursor starts on the first image: Space selects it right away. ] skips empty clusters.
    await page.keyboard.press(']');
    await waitHash(`cluster=${full[1]}&`);
    await gridCells().first().waitFor();
    const first = Number(await gridCells().first().getAttribute('data-image-id'));
    await page.keyboard.press(' ');
    await selectionCount().getByText('1 selected').waitFor();
    assert.deepEqual(await selectedIds(), [first]);
    await page.keyboard.press('Escape');
    // After S the first Space selects the (new) first image.
    await page.keyboard.press('s');
    await waitHash('sort=confidence');
    if ((sizes.get(full[1]) ?? 0) > 1) {
      await page.waitForFunction((id) => {
        const now = document.querySelector('[data-testid=screen-grid] [role=gridcell][data-index="0"]')?.getAttribute('data-image-id');
        return !!now && now !== String(id);
      }, first);
    }
    await gridCells().first().waitFor();
    await page.keyboard.press(' ');
    await selectionCount().getByText('1 selected').waitFor();
    await page.keyboard.press('Escape');
    await page.keyboard.press('[');
    await waitHash(`cluster=${full[0]}&`);
    // A click in the cluster list leaves the keys with the grid.
    target = full.find((c) => (sizes.get(c) ?? 0) >= 3)!;
    await page.click(`[data-testid=cluster-item][data-cluster="${target}"]`);
    await waitHash(`cluster=${target}&`);
    await gridCells().first().waitFor();
    await page.keyboard.press(' ');
    await selectionCount().getByText('1 selected').waitFor();
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press(' ');
    await selectionCount().getByText('2 selected').waitFor();
    await page.keyboard.press('Escape');
    await selectionCount().getByText('selected').waitFor({ state: 'detached' });
  });

  step('names clusters; a person gives any free key to a class and sees it in the lists and the help', async () => {
    await key('Alt+3', 'clusters');
    named = full.slice(0, Math.min(NAMES.length, full.length - 1));
    for (const [i, cluster] of named.entries()) {
      const input = page.locator(`[data-testid=cluster-card][data-cluster="${cluster}"] input`);
      await input.fill(NAMES[i]);
      await input.press('Enter');
    }
    await page.getByText(`${named.length} of ${K} named`).waitFor();
    // A click on a cluster in the overview opens the grid with the keys working there.
    await page.click(`[data-testid=cluster-card][data-cluster="${target}"] .thumbs`);
    await waitHash(`cluster=${target}&`);
    await gridCells().first().waitFor();
    await page.keyboard.press(' ');
    await selectionCount().getByText('1 selected').waitFor();
    await page.keyboard.press('Escape');
    await key('Alt+6', 'labels');
    const rows = page.locator('[data-testid=class-row]');
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid=class-row]').length === n, named.length);
    // New classes take the free digits 1..9, 0 by default; "yankee" gets a letter by hand.
    for (const name of ['zebra', 'yankee']) {
      await page.fill('[data-testid=new-class]', name);
      await page.keyboard.press('Enter');
      await page.locator(`[data-testid=class-row][data-class=${name}]`).waitFor();
    }
    assert.equal(await rows.count(), named.length + 2);
    assert.equal((await page.getByTestId('hotkey-alpha').textContent())?.trim(), '1');
    assert.match((await page.getByTestId('hotkey-zebra').textContent())?.trim() ?? '', /^\d$/);
    await page.getByTestId('hotkey-yankee').click();
    await page.keyboard.press('m');
    await page.getByText('“m” is one of the grid’s own keys').waitFor();
    await page.keyboard.press('y');
    await page.waitForFunction(() => document.querySelector('[data-testid=hotkey-yankee]')?.textContent?.trim() === 'y');
    await screenshot(page, 'labels-classes');
    // The help lists every class key.
    await page.keyboard.press('?');
    const help = page.getByTestId('help-class-keys');
    await help.getByText('Move the selection to yankee').waitFor();
    assert.match((await help.textContent()) ?? '', /yMove the selection to yankee/);
    await screenshot(page, 'labelling-help');
    await page.keyboard.press('Escape');
    await help.waitFor({ state: 'detached' });
  });

  step('in the grid: a class key moves, A accepts, Shift+A accepts the rest of the cluster, H hides the labelled', async () => {
    await key('Alt+4', 'grid');
    // The grid opens where it was left: the cluster clicked last, by confidence.
    assert.ok(named.includes(target), 'a named cluster');
    await waitHash(`cluster=${target}&`);
    assert.match(await hash(), /sort=confidence/);
    await gridCells().first().waitFor();
    // The class list beside the grid shows the keys.
    await page.locator('[data-testid=class-item]', { hasText: 'yankee' }).locator('kbd', { hasText: 'y' }).waitFor();
    // (The cursor came back where it was left; Home puts it on the first image.)
    await page.keyboard.press('Home');
    const moved = Number(await gridCells().first().getAttribute('data-image-id'));
    await page.keyboard.press('y');
    const movedCell = page.locator(`[data-testid=screen-grid] [role=gridcell][data-image-id="${moved}"]`);
    await movedCell.getByText('→ yankee').waitFor();
    assert.equal(await movedCell.getAttribute('data-source'), 'person');
    assert.equal(await movedCell.getAttribute('data-origin'), 'set');
    // The cursor went on to the next image: A accepts it, then O marks the one after as an outlier (for the export later).
    await page.locator('[data-testid=screen-grid] [role=gridcell][data-index="1"].cursor').waitFor();
    const accepted = Number(await page.locator('[data-testid=screen-grid] [role=gridcell][data-index="1"]').getAttribute('data-image-id'));
    await page.keyboard.press('a');
    await page.waitForFunction((id) => document.querySelector(`[data-testid=screen-grid] [data-image-id="${id}"]`)?.getAttribute('data-origin') === 'accepted', accepted);
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('o');
    await page.locator('[data-testid=screen-grid] [role=gridcell] >> text=outlier').first().waitFor();
    await screenshot(page, 'grid-labelling');
    // Shift+A: every other image of the cluster becomes a person label as shown.
    const total = await gridCells().count();
    await page.keyboard.press('Shift+A');
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid=screen-grid] [role=gridcell][data-source=person]').length === n, total);
    assert.match((await page.getByTestId('grid-count').textContent()) ?? '', new RegExp(`${total} of ${total} labelled by a person`));
    // H hides what a person labelled (all of it here), H again shows it.
    await page.keyboard.press('h');
    await page.getByText('Every image here is labelled by a person').waitFor();
    assert.equal(await gridCells().count(), 0);
    await page.keyboard.press('h');
    await gridCells().first().waitFor();
    assert.equal(await gridCells().count(), total);
  });

  step('"more like these" opens the nearest images of the selection as a grid', async () => {
    const other = full.find((c) => c !== target)!;
    await page.click(`[data-testid=cluster-item][data-cluster="${other}"]`);
    await waitHash(`cluster=${other}&`);
    await gridCells().first().waitFor();
    const id = Number(await gridCells().first().getAttribute('data-image-id'));
    await page.keyboard.press(' ');
    await page.keyboard.press('l');
    await page.getByTestId('grid-title').getByText(`More like #${id}`).waitFor();
    await waitHash('set=1');
    await page.getByTestId('set-item').waitFor();
    await gridCells().first().waitFor();
    const ids = await gridCells().evaluateAll((els) => els.map((el) => Number(el.getAttribute('data-image-id'))));
    assert.ok(ids.length > 10 && ids.length <= 120, `${ids.length} neighbours`);
    assert.ok(!ids.includes(id), 'the selection itself is not among its neighbours');
    // Nearest first: the order is the service's, not a sort the grid applies.
    await page.getByText('nearest first').waitFor();
  });

  step('remembers cluster, sort and scroll across screens and a reload', async () => {
    await page.setViewportSize({ width: 900, height: 560 });
    const largest = [...sizes.entries()].sort((a, b) => b[1] - a[1])[0][0];
    await page.click(`[data-testid=cluster-item][data-cluster="${largest}"]`);
    await waitHash(`cluster=${largest}&`);
    for (let i = 0; i < 6; i++) await page.keyboard.press('+');
    await page.keyboard.press('s');
    await waitHash('sort=doubt');
    await gridCells().first().waitFor();
    await page.keyboard.press('End');
    const grid = page.getByTestId('virtual-grid');
    await page.waitForFunction(() => (document.querySelector('[data-testid=virtual-grid]') as HTMLElement).scrollTop > 50);
    const scrolled = await grid.evaluate((el) => el.scrollTop);
    await page.waitForTimeout(400); // the memory is written a moment after the last change
    for (const leave of [() => key('Alt+3', 'clusters'), () => page.reload()]) {
      await leave();
      await page.waitForLoadState('domcontentloaded');
      if (!(await page.getByTestId('screen-grid').count())) await key('Alt+4', 'grid');
      await waitHash(`cluster=${largest}&`);
      assert.match(await hash(), /sort=doubt/);
      await gridCells().first().waitFor();
      await page.waitForFunction((top) => Math.abs((document.querySelector('[data-testid=virtual-grid]') as HTMLElement).scrollTop - top) < 4, scrolled);
    }
    for (let i = 0; i < 6; i++) await page.keyboard.press('-');
    await page.setViewportSize({ width: 1440, height: 900 });
  });

  step('the review queue: move the wrong ones by key, accept the rest of the screen, the next screen comes', async () => {
    await key('Alt+5', 'review');
    await reviewCells().first().waitFor();
    const position = page.getByTestId('review-position');
    const unreviewed = async () => Number(((await page.getByTestId('review-unreviewed').textContent()) ?? '').replace(/,/g, ''));
    const before = await unreviewed();
    const screen1 = await reviewCells().evaluateAll((els) => els.map((el) => Number(el.getAttribute('data-image-id'))));
    assert.ok(screen1.length > 10, `${screen1.length} images on the screen`);
    // Only the screen is in the DOM, and every tile names its label and who gave it.
    assert.equal(await page.locator('[data-testid=screen-review] [role=gridcell]').count(), screen1.length);
    assert.equal(await page.locator('[data-testid=screen-review] [data-testid=tile-label]').count(), screen1.length);
    assert.ok((await page.locator('[data-testid=screen-review] [data-testid=tile-label] >> text=model').count()) > 0);
    // The cursor's image moves with its class key, the cursor goes on to the next.
    const wrong = screen1[0];
    await page.keyboard.press('1');
    const wrongCell = page.locator(`[data-testid=screen-review] [data-image-id="${wrong}"]`);
    await page.waitForFunction((id) => document.querySelector(`[data-testid=screen-review] [data-image-id="${id}"]`)?.getAttribute('data-source') === 'person', wrong);
    assert.equal((await wrongCell.getByTestId('tile-label').textContent())?.replace(/\W+/g, ' ').trim(), 'alpha');
    // A second one by selection (Space) and the picker (M, type, Enter).
    await page.keyboard.press(' ');
    await page.keyboard.press('m');
    await page.getByTestId('class-picker').waitFor();
    await page.keyboard.type('bravo');
    await page.keyboard.press('Enter');
    await page.getByTestId('class-picker').waitFor({ state: 'detached' });
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=screen-review] [role=gridcell][data-source=person]').length >= 2);
    await screenshot(page, 'review-queue');
    const shownBefore = await page
      .locator('[data-testid=screen-review] [role=gridcell][data-source=model]')
      .evaluateAll((els) =>
        els.filter((el) => !el.querySelector('[data-testid=tile-label]')?.textContent?.includes('unnamed')).map((el) => Number(el.getAttribute('data-image-id'))),
      );
    const unnamed = await page.locator('[data-testid=screen-review] [data-testid=tile-label] >> text=unnamed').count();
    await page.keyboard.press('Shift+A');
    // The next screen: none of the images just accepted or moved.
    await page.waitForFunction(
      (ids) => {
        const now = [...document.querySelectorAll('[data-testid=screen-review] [role=gridcell][data-image-id]')].map((el) => Number(el.getAttribute('data-image-id')));
        return now.length > 0 && !now.some((id) => ids.includes(id));
      },
      [...shownBefore, wrong],
    );
    await page.waitForFunction(
      (n) => Number((document.querySelector('[data-testid=review-unreviewed]')?.textContent ?? '').replace(/,/g, '')) === n,
      before - shownBefore.length - 2,
    );
    // Images with no label to accept (of the unnamed cluster) stay in the queue; the next screen starts after them.
    assert.match((await position.textContent()) ?? '', new RegExp(`images ${unnamed + 1}–`));
    const screen2 = await reviewCells().evaluateAll((els) => els.map((el) => Number(el.getAttribute('data-image-id'))));
    // [ goes back to the screen just accepted, as it is labelled now; ] comes forward again.
    await page.keyboard.press('[');
    await page.waitForFunction((ids) => {
      const now = [...document.querySelectorAll('[data-testid=screen-review] [role=gridcell][data-image-id]')].map((el) => Number(el.getAttribute('data-image-id')));
      return now.length === ids.length && ids.every((id) => now.includes(id));
    }, screen1);
    for (const id of [...shownBefore, wrong]) {
      assert.equal(await page.locator(`[data-testid=screen-review] [data-image-id="${id}"]`).getAttribute('data-source'), 'person');
    }
    await page.keyboard.press(']');
    await page.waitForFunction((ids) => {
      const now = [...document.querySelectorAll('[data-testid=screen-review] [role=gridcell][data-image-id]')].map((el) => Number(el.getAttribute('data-image-id')));
      return now.length > 0 && now[0] === ids[0];
    }, screen2);
    // H shows the labelled images again: the queue holds all 200.
    await page.keyboard.press('h');
    await page.waitForFunction(() => /of 200\b/.test(document.querySelector('[data-testid=review-position]')?.textContent ?? ''));
    await page.keyboard.press('h');
    await page.waitForFunction(() => !/of 200\b/.test(document.querySelector('[data-testid=review-position]')?.textContent ?? ''));
    await screenshot(page, 'review-queue-next');
  });

  step('imports a labels CSV: counts, every bad row with its reason, and undo', async () => {
    const csv = join(temp.dir, 'labels.csv');
    writeFileSync(
      csv,
      ['path,class', 'cat/0019.jpg,kilo', 'dog/0019.jpg,kilo', `${join(imagesDir, 'ship/0019.jpg')},lima`, 'nowhere/missing.jpg,kilo', 'frog/0018.jpg,', ''].join('\n'),
    );
    const before = await personLabels();
    await key('Alt+6', 'labels');
    await page.fill('[data-testid=import-path]', csv);
    await page.click('[data-testid=import-run]');
    const report = page.getByTestId('import-report');
    await report.waitFor();
    const labelled = Number(await page.getByTestId('import-labelled').textContent());
    const replaced = Number(await page.getByTestId('import-replaced').textContent());
    const unchanged = Number(await page.getByTestId('import-unchanged').textContent());
    // replaced counts the labelled images that had another person label before.
    assert.equal(labelled + unchanged, 3);
    assert.ok(replaced <= labelled);
    assert.equal(await page.getByTestId('import-rejected').textContent(), '2');
    const rejected = await page.locator('[data-testid=import-rejected-rows] tbody tr').allTextContents();
    assert.equal(rejected.length, 2);
    assert.ok(
      rejected.some((r) => r.includes('nowhere/missing.jpg')),
      rejected.join(' | '),
    );
    assert.ok(
      rejected.some((r) => r.includes('frog/0018.jpg')),
      rejected.join(' | '),
    );
    assert.match((await report.textContent()) ?? '', /New classes: (kilo, lima|lima, kilo)/);
    await page.locator('[data-testid=class-row][data-class=kilo]').waitFor();
    await page.waitForFunction((n) => Number((document.querySelector('footer')?.textContent ?? '').match(/(\d+) person label/)?.[1]) === n, before + labelled - replaced);
    await page.click('[data-testid=import-undo]');
    await page.getByTestId('import-undo').getByText('Undone').waitFor();
    await page.waitForFunction((n) => Number((document.querySelector('footer')?.textContent ?? '').match(/(\d+) person label/)?.[1]) === n, before);
  });

  step('renames, merges and deletes classes, each undone and redone', async () => {
    const row = (name: string) => page.locator(`[data-testid=class-row][data-class="${name}"]`);
    // Rename.
    const input = row('zebra').locator('input[type=text]');
    await input.fill('zulu');
    await input.press('Enter');
    await row('zulu').waitFor();
    await page.keyboard.press('Control+z');
    await row('zebra').waitFor();
    await page.keyboard.press('Control+Shift+z');
    await row('zulu').waitFor();
    // Merge zulu into yankee: yankee keeps its image and key.
    const yankeeLabels = Number(await row('yankee').locator('td').nth(4).textContent());
    assert.equal(yankeeLabels, 1);
    await row('zulu').locator('input[type=checkbox]').check();
    await row('yankee').locator('input[type=checkbox]').check();
    await page.selectOption('[data-testid=merge-into]', 'yankee');
    await page.click('[data-testid=merge]');
    await row('zulu').waitFor({ state: 'detached' });
    await page.keyboard.press('Control+z');
    await row('zulu').waitFor();
    // Delete yankee: its image goes back to the model's label; undo brings the label back.
    const before = await personLabels();
    await row('yankee').getByRole('button', { name: 'Delete class yankee' }).click();
    await page.getByTestId('delete-explain').getByText('1 image a person labelled “yankee” goes back to the model').waitFor();
    await page.click('[data-testid=confirm-delete]');
    await row('yankee').waitFor({ state: 'detached' });
    await page.waitForFunction((n) => Number((document.querySelector('footer')?.textContent ?? '').match(/(\d+) person label/)?.[1]) === n, before - 1);
    await page.keyboard.press('Control+z');
    await row('yankee').waitFor();
    await page.waitForFunction((n) => Number((document.querySelector('footer')?.textContent ?? '').match(/(\d+) person label/)?.[1]) === n, before);
    assert.equal((await page.getByTestId('hotkey-yankee').textContent())?.trim(), 'y');
  });

  step('refine says how many new labels it learns from, shows progress, and the app shows the new run', async () => {
    await key('Alt+5', 'review');
    const stats = page.getByTestId('refine-stats');
    await stats.waitFor();
    const newLabels = Number(((await stats.textContent()) ?? '').trim().match(/^(\d+) new since run #1/)?.[1]);
    assert.ok(newLabels > 0, (await stats.textContent()) ?? '');
    assert.match((await page.getByTestId('refine-start').textContent()) ?? '', new RegExp(`learn from ${newLabels} new label`));
    await page.click('[data-testid=refine-start]');
    await page
      .getByTestId('refine-result')
      .getByText(/Refine done/)
      .waitFor({ timeout: 180_000 });
    await page.waitForFunction(() => (document.querySelector('#run-select option:checked')?.textContent ?? '').includes('refine'));
    await page.waitForFunction(() => /^0 new since run #\d+/.test(document.querySelector('[data-testid=refine-stats]')?.textContent?.trim() ?? ''));
    await reviewCells().first().waitFor();
  });

  step('a re-run carries the names over and marks the clusters left unnamed as new', async () => {
    await key('Alt+2', 'pipeline');
    // Quick says what it does.
    if (await page.getByTestId('spice-quick-hint').count()) {
      assert.match((await page.getByTestId('spice-quick-hint').textContent()) ?? '', /heads and \d+ epochs instead of/);
    }
    await page.selectOption('#p-method', 'kmeans');
    const jobsBefore = await page.locator('[data-job-kind=cluster]').count();
    await page.click('button:has-text("Cluster only")');
    await waitJob('cluster', jobsBefore + 1, 60_000);
    await page.waitForFunction(() => (document.querySelector('#run-select option:checked')?.textContent ?? '').includes('kmeans'));
    await key('Alt+3', 'clusters');
    await page.getByTestId('names-from').waitFor();
    await page.locator('[data-testid=cluster-card] input').first().waitFor();
    const cards = await page.locator('[data-testid=cluster-card]').evaluateAll((els) =>
      els.map((el) => ({
        name: (el.querySelector('input') as HTMLInputElement).value,
        isNew: el.getAttribute('data-new') === 'true',
        badge: !!el.querySelector('[data-testid=new-badge]'),
      })),
    );
    assert.ok(cards.filter((c) => c.name).length >= 3, JSON.stringify(cards));
    for (const c of cards) {
      assert.equal(c.isNew, c.name === '', JSON.stringify(c));
      assert.equal(c.badge, c.isNew);
    }
    // Every card says how many of its images a person labelled.
    assert.equal(await page.getByTestId('reviewed').count(), K);
    await screenshot(page, 'clusters-carried-over');
    // A k-means run can be refined too (a new classifier is trained from its most confident members).
    await key('Alt+5', 'review');
    await page.getByTestId('refine-panel').waitFor();
    await page.waitForFunction(() => !(document.querySelector('[data-testid=refine-start]') as HTMLButtonElement | null)?.disabled);
  });

  step('on the map, M opens the move dialog with an empty search, Enter on a typo creates nothing, and a lasso opens as a grid', async () => {
    await key('Alt+8', 'map');
    const canvas = page.getByTestId('projection-canvas');
    await canvas.waitFor({ timeout: 90_000 });
    const box = (await canvas.boundingBox())!;
    await page.mouse.move(box.x + 5, box.y + 5);
    await page.mouse.down();
    for (const [x, y] of [
      [box.width - 5, 5],
      [box.width - 5, box.height - 5],
      [5, box.height - 5],
      [5, 8],
    ])
      await page.mouse.move(box.x + x, box.y + y, { steps: 8 });
    await page.mouse.up();
    await page.getByTestId('map-selection').getByText('200 selected').waitFor();
    await page.keyboard.press('m');
    const picker = page.getByTestId('class-picker');
    await picker.waitFor();
    assert.equal(await picker.locator('input').inputValue(), '');
    await page.keyboard.type('zzairp');
    await page.keyboard.press('Enter');
    await page.getByTestId('picker-hint').waitFor();
    assert.equal(await picker.count(), 1, 'the dialog stays open');
    await page.keyboard.press('Escape');
    await picker.waitFor({ state: 'detached' });
    await page.keyboard.press('Enter');
    await page.getByTestId('grid-title').getByText('Lasso of 200 images').waitFor();
    await page
      .getByTestId('grid-count')
      .getByText(/^200 images/)
      .waitFor();
    assert.equal(await page.locator('[data-testid=class-item]', { hasText: 'zzairp' }).count(), 0);
  });

  step('Esc in the image view goes straight back to the grid', async () => {
    await gridCells().first().waitFor();
    await page.keyboard.press('Enter');
    await page.getByTestId('image-large').waitFor();
    for (let i = 0; i < 3; i++) {
      await page.keyboard.press('ArrowRight');
      await page.waitForTimeout(150);
    }
    await page.keyboard.press('Escape');
    await page.getByTestId('screen-grid').waitFor();
    assert.match(await hash(), /#\/grid\?.*set=1/);
    await page.getByTestId('grid-title').getByText('Lasso of 200 images').waitFor();
  });

  step('the mapping screen without folder labels shows every cluster’s size and images', async () => {
    await key('Alt+7', 'mapping');
    await page.getByText('No ground-truth labels in this project').waitFor();
    await page.waitForFunction(() => [...document.querySelectorAll('[data-testid=mapping-size]')].every((el) => /^\d+/.test(el.textContent ?? '')));
    const sizes = await page.getByTestId('mapping-size').allTextContents();
    assert.equal(sizes.length, K);
    assert.equal(
      sizes.reduce((s, t) => s + Number(t.match(/^\d+/)![0]), 0),
      200,
    );
    const thumbs = await page.locator('[data-testid=mapping-table] tbody tr').evaluateAll((rows) => rows.map((r) => r.querySelectorAll('img').length));
    assert.ok(
      thumbs.every((n) => n > 0),
      `thumbnails per cluster: ${thumbs.join(',')}`,
    );
  });

  step('the folder export says how many folders it wrote, and which', async () => {
    await key('Alt+9', 'export');
    await page.click('[data-testid=export-folders]');
    const result = page.getByTestId('folders-result');
    await result.waitFor({ timeout: 60_000 });
    const folders = ((await page.getByTestId('folders-list').textContent()) ?? '').split(' · ');
    const said = Number(((await result.textContent()) ?? '').match(/into (\d+) folders?/)?.[1]);
    assert.equal(said, folders.length, `${await result.textContent()}`);
    assert.ok(folders.includes('outlier'), folders.join(','));
  });

  step('raised no console errors', () => {
    assert.deepEqual(browser.problems, []);
  });
});
