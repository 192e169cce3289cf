// The real desktop app, driven by Playwright's Electron support: run by `npm run test:electron`
// (scripts/test-electron.mjs), which prepares a clustered project, builds the app and better-sqlite3
// for Electron, and passes SPICE_ELECTRON_BINARY and SPICE_ELECTRON_PROJECT. Not part of `npm test`
// (its name does not end in .test.ts): it needs the Electron binary and a display.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { _electron as electron, type ElectronApplication, type Page } from 'playwright-core';
import { REPO_DIR } from '../helpers/paths.ts';

const BINARY = process.env.SPICE_ELECTRON_BINARY;
const PROJECT = process.env.SPICE_ELECTRON_PROJECT;
const SCREENSHOTS = join(REPO_DIR, 'test-output/screenshots');

/** The page's view of the preload bridge (window.spiceWorkbench), as far as these checks use it. */
type PageBridge = { call(method: string, params?: unknown): Promise<unknown>; imageUrl(id: number, kind?: 'thumb' | 'full'): string };

describe('desktop app', { skip: BINARY && PROJECT ? false : 'run through npm run test:electron', timeout: 180_000 }, () => {
  let app: ElectronApplication;
  let win: Page;
  let home: string;
  const problems: string[] = [];

  before(async () => {
    home = mkdtempSync(join(tmpdir(), 'spice-electron-'));
    mkdirSync(join(home, 'config'));
    app = await electron.launch({
      executablePath: BINARY!,
      args: [REPO_DIR, '--project', PROJECT!],
      cwd: REPO_DIR,
      // A throw-away userData folder (recent projects, window state): Electron puts it under XDG_CONFIG_HOME on Linux.
      env: { ...(process.env as Record<string, string>), XDG_CONFIG_HOME: join(home, 'config'), ELECTRON_ENABLE_LOGGING: '1' },
      timeout: 60_000,
    });
    app.process().stderr?.on('data', (d: Buffer) => {
      if (process.env.SPICE_E2E_VERBOSE) process.stderr.write(`[electron] ${d}`);
    });
    win = await app.firstWindow();
    win.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    });
    win.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    win.setDefaultTimeout(30_000);
  });

  after(async () => {
    await app?.close().catch(() => undefined);
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it('opens one window on the app origin, on the project clusters, with no Node in the page', async () => {
    await win.waitForSelector('[data-testid=screen-clusters]');
    assert.match(win.url(), /^spice-app:\/\/renderer\//);
    assert.equal(app.windows().length, 1);
    // No Node in the page: only the contract the preload exposes.
    assert.deepEqual(await win.evaluate(() => [typeof (globalThis as { require?: unknown }).require, typeof (globalThis as { process?: unknown }).process]), [
      'undefined',
      'undefined',
    ]);
    mkdirSync(SCREENSHOTS, { recursive: true });
    await win.screenshot({ path: join(SCREENSHOTS, 'electron-clusters.png') });
  });

  it('answers a contract call over IPC', async () => {
    const info = (await win.evaluate(() => (globalThis as unknown as { spiceWorkbench: PageBridge }).spiceWorkbench.call('app.info'))) as {
      platform: string;
      electronVersion: string | null;
      projectDir: string | null;
    };
    assert.equal(info.platform, 'electron');
    assert.ok(info.electronVersion, 'the main process reports its Electron version');
    assert.equal(info.projectDir && realpathSync(info.projectDir), realpathSync(PROJECT!));
    // A call the main process refuses comes back as an error with a code, not a crash.
    const refused = await win.evaluate(() =>
      (globalThis as unknown as { spiceWorkbench: PageBridge }).spiceWorkbench.call('no.such.method').then(
        () => null,
        (e: { code?: string }) => e.code ?? 'no code',
      ),
    );
    assert.ok(refused && refused !== 'no code', `unknown method answered ${refused}`);
  });

  it('loads an image by id through the custom protocol', async () => {
    const imageId = await win.evaluate(async () => {
      const bridge = (globalThis as unknown as { spiceWorkbench: PageBridge }).spiceWorkbench;
      const project = (await bridge.call('projects.current')) as { defaultRunId: number };
      const overview = (await bridge.call('clusters.overview', { runId: project.defaultRunId })) as { cards: Array<{ sampleImageIds: number[] }> };
      return overview.cards[0].sampleImageIds[0];
    });
    const size = await win.evaluate(async (id) => {
      const bridge = (globalThis as unknown as { spiceWorkbench: PageBridge }).spiceWorkbench;
      const img = new Image();
      img.src = bridge.imageUrl(id, 'full');
      await img.decode();
      return { src: img.src, width: img.naturalWidth };
    }, imageId);
    assert.match(size.src, /^spice-img:\/\/full\//);
    assert.equal(size.width, 32, 'a CIFAR-10 image is 32 px wide');
    // A path instead of an id is refused.
    const refused = await win.evaluate(async () => {
      const img = new Image();
      img.src = 'spice-img://full/..%2F..%2Fetc%2Fpasswd';
      return img.decode().then(
        () => 'loaded',
        () => 'refused',
      );
    });
    assert.equal(refused, 'refused');
  });

  it('refuses navigation away from the app and new windows', async () => {
    const before = win.url();
    await win.evaluate(() => {
      location.href = 'https://example.com/';
    });
    await assert.rejects(win.waitForURL(/example\.com/, { timeout: 3_000 }), 'the window navigated away');
    assert.equal(win.url(), before);
    const opened = await win.evaluate(() => window.open('https://example.com/', '_blank') === null);
    assert.equal(opened, true, 'window.open returned a window');
    assert.equal(app.windows().length, 1);
    // The app still works after both attempts.
    await win.waitForSelector('[data-testid=screen-clusters]');
  });

  it('raised no console errors', () => {
    assert.deepEqual(problems, []);
  });
});
