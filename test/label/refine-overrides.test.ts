import { test } from 'node:test';
import assert from 'node:assert/strict';
import { REFINE_DEFAULTS } from '../../main/pipeline/label/refine-job.ts';
import { parseRefineOverrides, withRefineDefaults } from '../../scripts/effort/refine-overrides.ts';

test('bench:effort --refine-settings: known settings of the right type only, defaults restored afterwards', async () => {
  assert.deepEqual(parseRefineOverrides('{"neighbourVoteWeight":0,"steps":800}'), { neighbourVoteWeight: 0, steps: 800 });
  assert.throws(() => parseRefineOverrides('{"neighbourVote":1}'), /unknown setting 'neighbourVote'/);
  assert.throws(() => parseRefineOverrides('{"steps":"800"}'), /'steps' must be a number/);
  assert.throws(() => parseRefineOverrides('[1]'), /must be a JSON object/);
  const before = { ...REFINE_DEFAULTS };
  const seen = await withRefineDefaults({ probeWeight: 0 }, async () => REFINE_DEFAULTS.probeWeight);
  assert.equal(seen, 0);
  assert.deepEqual({ ...REFINE_DEFAULTS }, before);
});
