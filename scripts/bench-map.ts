// The 2-D map in the browser: serves a clustered project, opens the map screen in headless Chromium and
// reports how long the map took to appear and be drawn (its projection stored or computed first), then
// a lasso over everything and the redraw with every point selected. Works on a copy of the project
// database. Needs Chromium (/usr/bin/chromium or SPICE_CHROMIUM). A screenshot goes to
// test-output/screenshots/bench-map.png. Usage: npm run bench:map -- --project <dir> [--run <id>].
// Last line: one JSON object.
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { projectDbPath } from '../main/project/project.ts';
import { chromiumAvailable, openBrowser, screenshot } from '../test/e2e/helpers/browser.ts';
import { buildRenderer } from '../test/e2e/helpers/build.ts';
import { startServe } from '../test/e2e/helpers/serve.ts';

const { values } = parseArgs({ options: { project: { type: 'string' }, run: { type: 'string' } } });
if (!values.project) throw new Error('usage: npm run bench:map -- --project <dir> [--run <id>]');
if (!chromiumAvailable()) throw new Error('bench:map needs Chromium (apt-get install chromium, or SPICE_CHROMIUM=<path>)');
const work = mkdtempSync(join(tmpdir(), 'spice-bench-map-'));
copyFileSync(projectDbPath(resolve(values.project)), projectDbPath(work));
buildRenderer();
const served = await startServe({ home: join(work, 'home'), project: work, timeoutMs: 300_000 });
const browser = await openBrowser();
try {
  const { page } = browser;
  const route = `#/map${values.run ? `?run=${values.run}` : ''}`;
  const t0 = performance.now();
  await page.goto(`${served.url.split('#')[0]}${route}`);
  const canvas = page.getByTestId('projection-canvas');
  await canvas.waitFor({ timeout: 1_800_000 });
  // Two animation frames after the canvas appears: its points have been drawn.
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  const shownMs = performance.now() - t0;
  const points = await page.evaluate(() => document.querySelector('[data-testid=screen-map] .legend')?.textContent ?? '');
  console.log(`map shown and drawn ${(shownMs / 1000).toFixed(1)} s after opening the screen`);
  console.log(`screenshot: ${await screenshot(page, 'bench-map')}`);

  const box = (await canvas.boundingBox())!;
  await page.mouse.move(box.x + 3, box.y + 3);
  await page.mouse.down();
  for (const [x, y] of [
    [box.width - 3, 3],
    [box.width - 3, box.height - 3],
    [3, box.height - 3],
    [3, 5],
  ])
    await page.mouse.move(box.x + x, box.y + y, { steps: 4 });
  await page.mouse.up();
  const tLasso = performance.now();
  await page.getByTestId('map-selection').waitFor();
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  const selectedDrawMs = performance.now() - tLasso;
  const selection = await page.getByTestId('map-selection').textContent();
  console.log(`lasso over everything: ${selection}; selection shown and redrawn ${selectedDrawMs.toFixed(0)} ms after the mouse was released`);
  if (browser.problems.length) console.log(`browser problems: ${browser.problems.join('; ')}`);
  console.log(
    JSON.stringify({
      bench: 'map',
      shown_ms: Math.round(shownMs),
      selected_redraw_ms: Math.round(selectedDrawMs),
      selection: selection?.trim(),
      legend_chars: points.length,
    }),
  );
} finally {
  await browser.close();
  await served.stop();
  rmSync(work, { recursive: true, force: true });
}
