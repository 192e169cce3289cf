// Steps of an end-to-end story that build on each other: after the first failure the rest are skipped,
// not timed out one by one, and the page is photographed as it failed.
import { it } from 'node:test';
import type { Page } from 'playwright-core';
import { screenshot } from './browser.ts';

export function stepper(page: () => Page | undefined, failureShot: string): (name: string, fn: () => Promise<void> | void) => void {
  let broken: string | null = null;
  return (name, fn) => {
    it(name, async (t) => {
      if (broken) return t.skip(`an earlier step failed: ${broken}`);
      try {
        await fn();
      } catch (err) {
        broken = name;
        const p = page();
        if (p) await screenshot(p, failureShot).catch(() => undefined);
        throw err;
      }
    });
  };
}
