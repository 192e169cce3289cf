// A short bench:effort run on a small real subset: two simulated persons work the review queue through
// the service contract, one refining after every batch; the JSON it reports holds together.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getEmbeddedProject } from '../helpers/embedded-project.ts';
import { runSpice } from '../../main/pipeline/cluster/spice.ts';
import { simulateEffort, type PersonResult } from '../../scripts/effort/simulate.ts';

test('bench:effort: both persons raise label accuracy with every batch; refine is timed; the result has the promised keys', async () => {
  const source = await getEmbeddedProject({ perClass: 30, views: { weak: 2, strong: 2 } });
  const { project, dir, cleanup } = source.copy();
  try {
    await runSpice(project, { k: 10, seed: 0, heads: 3, epochs: 6, pcaDim: 64, self: { minSteps: 200 } });
    project.close();
    const batches: string[] = [];
    const r = await simulateEffort({ projectDir: dir, batch: 30, budget: 45, seedLabelsPerClass: 2, onBatch: (who) => batches.push(who) });
    assert.deepEqual(Object.keys(r), ['images', 'seed_labels', 'unsupervised_acc', 'start_acc', 'refine_seconds_max', 'refine', 'baseline']);
    assert.equal(r.images, source.count);
    assert.equal(r.seed_labels, 20);
    assert.ok(r.refine_seconds_max > 0);
    assert.ok(batches.includes('refine') && batches.includes('baseline'));
    for (const person of [r.refine, r.baseline] as PersonResult[]) {
      assert.deepEqual(Object.keys(person), ['actions_to_80', 'actions_to_90', 'actions_to_95', 'curve']);
      const actions = person.curve.map(([a]) => a);
      assert.deepEqual(
        actions,
        [...actions].sort((a, b) => a - b),
        'actions only grow',
      );
      assert.ok(actions[actions.length - 1] >= 45 || person.curve[person.curve.length - 1][1] >= 0.95, 'a person works until the budget or 95 %');
      assert.ok(person.curve.every(([, acc]) => acc >= 0 && acc <= 1));
      // Every correction is right, so the last point beats the first.
      assert.ok(person.curve[person.curve.length - 1][1] > person.curve[0][1]);
    }
    // Both start from the same naming; the baseline's start is naming + seed labels (no refine).
    assert.equal(r.refine.curve[0][1], r.unsupervised_acc);
    assert.equal(r.baseline.curve[0][1], r.unsupervised_acc);
  } finally {
    cleanup();
  }
});
