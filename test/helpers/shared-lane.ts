// The shared lane: tests that need data only ../shared holds (the 10,000 CIFAR-10 test images, the
// MobileNet v2 backbone). A clone without ../shared skips them with the reason; CI beside ../shared
// sets SPICE_REQUIRE_SHARED=1, which turns a skip into a failure (scripts/run-tests.js, .ci/run).
import { existsSync } from 'node:fs';
import { test } from 'node:test';

export { CIFAR_FULL_DIR, MOBILENET_V2, SHARED_DIR } from './shared-data.ts';

export function sharedLaneRequired(): boolean {
  return process.env.SPICE_REQUIRE_SHARED === '1';
}

/**
 * false when every path exists, else the reason to skip (pass it as the `skip` option of a describe or
 * test). Where the shared lane is required, a missing path also adds one failing test that says which.
 */
export function sharedLaneSkip(...paths: string[]): string | false {
  const missing = paths.filter((p) => !existsSync(p));
  if (missing.length === 0) return false;
  const reason = `shared lane: ${missing.join(', ')} not found (no ../shared beside this checkout; SPICE_SHARED_DIR names another folder)`;
  if (sharedLaneRequired()) {
    test('the shared lane has its data (SPICE_REQUIRE_SHARED=1)', () => {
      throw new Error(reason);
    });
  }
  return reason;
}
