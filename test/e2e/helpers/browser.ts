// Headless Chromium for the end-to-end tests: Debian's /usr/bin/chromium driven by playwright-core,
// a fresh profile each time, and a page that records console errors and CSP violations.
import { mkdtempSync, rmSync, existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { REPO_DIR } from '../../helpers/paths.ts';

export const CHROMIUM_PATH = process.env.SPICE_CHROMIUM ?? '/usr/bin/chromium';
export const SCREENSHOT_DIR = join(REPO_DIR, 'test-output/screenshots');

const ARGS = ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

export function chromiumAvailable(): boolean {
  return existsSync(CHROMIUM_PATH);
}

export interface BrowserSession {
  context: BrowserContext;
  page: Page;
  /** console.error lines, uncaught page errors and CSP violations seen so far. */
  problems: string[];
  downloadsDir: string;
  close(): Promise<void>;
}

export async function openBrowser(options: { width?: number; height?: number; colorScheme?: 'dark' | 'light' } = {}): Promise<BrowserSession> {
  const profile = mkdtempSync(join(tmpdir(), 'spice-chromium-'));
  const downloadsDir = mkdtempSync(join(tmpdir(), 'spice-downloads-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    args: ARGS,
    headless: true,
    viewport: { width: options.width ?? 1440, height: options.height ?? 900 },
    acceptDownloads: true,
    downloadsPath: downloadsDir,
    deviceScaleFactor: 1,
    colorScheme: options.colorScheme ?? 'dark',
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const problems: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console: ${msg.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  return {
    context,
    page,
    problems,
    downloadsDir,
    close: async () => {
      await context.close().catch(() => undefined);
      rmSync(profile, { recursive: true, force: true });
      rmSync(downloadsDir, { recursive: true, force: true });
    },
  };
}

/** Saves test-output/screenshots/<name>.png once the images on screen have loaded (or 5 s passed). */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.waitForFunction(() => [...document.images].every((img) => img.complete), null, { timeout: 5_000, polling: 100 }).catch(() => undefined);
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path });
  return path;
}
