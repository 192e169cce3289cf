// Which run is shown first: chosen from the runs' own signals (SPICE's health),
// never from ground truth; the reasons are in plain words.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withSeededDb } from './db-fixture.ts';
import { chooseDefaultRun, defaultRun } from '../../main/pipeline/cluster/default-run.ts';
import { createRun, finishRun, getRun, listRuns } from '../../main/db/runs-repo.ts';
import { spiceHealth } from '../../main/pipeline/cluster/spice-health.ts';
import { runKmeans } from '../../main/pipeline/cluster/run-kmeans.ts';
import { runSpice, type SpiceOptions } from '../../main/pipeline/cluster/spice.ts';
import { getEmbeddedProject } from '../helpers/embedded-project.ts';
import type { Project } from '../../main/project/project.ts';

test('SPICE says in plain words when it did not learn: too few sure images, collapsed clusters, too few agreed neighbours', () => {
  const healthy = spiceHealth({
    n: 10000,
    k: 10,
    reliableAtDefault: [40, 12, 0, 300, 80, 9, 55, 61, 20, 7],
    clusterSizes: Array(10).fill(1000),
    agreedNeighboursPerImage: 30,
  });
  assert.deepEqual(healthy, { learned: true, notes: [] });
  const unsure = spiceHealth({ n: 2000, k: 10, reliableAtDefault: [20, 0, 0, 0, 0, 0, 2, 18, 0, 0], clusterSizes: Array(10).fill(200), agreedNeighboursPerImage: 30 });
  assert.equal(unsure.learned, false);
  assert.deepEqual(unsure.notes, [
    "it was sure of only 40 of 2000 images (2.0 %) at its default thresholds, too few to have learned more than the embedding's own neighbourhoods",
  ]);
  const collapsed = spiceHealth({ n: 1000, k: 4, reliableAtDefault: [50, 50, 50, 50], clusterSizes: [600, 390, 10, 0], agreedNeighboursPerImage: 2 });
  assert.equal(collapsed.learned, false);
  assert.equal(collapsed.notes.length, 2);
  assert.match(collapsed.notes[0], /collapsed: the smallest holds 0 images where 250 would be even/);
  assert.match(collapsed.notes[1], /only 2\.0 neighbours per image/);
});

test('the default run: your labels first, then SPICE unless it says it did not learn, then its k-means', () => {
  withSeededDb(6, (db) => {
    const run = (method: 'kmeans' | 'spice' | 'refine', report?: Record<string, unknown>) => {
      const id = createRun(db, { method, backboneId: 1, k: 3, seed: 0, params: {} });
      finishRun(db, id, { state: 'done', report });
      return id;
    };
    const kmeans = run('kmeans', {});
    const unsure = run('spice', { health: { learned: false, notes: ['it was sure of only 0 of 6 images'] } });
    let choice = chooseDefaultRun(listRuns(db, { state: 'done' }));
    assert.equal(choice.run?.id, kmeans);
    assert.match(
      choice.reason ?? '',
      new RegExp(`k-means \\(run #${kmeans}\\) is shown first: SPICE \\(run #${unsure}\\) reports that it was sure of only 0 of 6 images`),
    );
    const sure = run('spice', { health: { learned: true, notes: [] } });
    assert.equal(defaultRun(db)?.id, sure);
    const older = run('spice');
    assert.equal(defaultRun(db)?.id, older, 'a SPICE run without a recorded health (made by an older version) is shown as before');
    const refined = run('refine', {});
    choice = chooseDefaultRun(listRuns(db, { state: 'done' }));
    assert.equal(choice.run?.id, refined);
    assert.match(choice.reason ?? '', /learned from your labels/);
  });
});

// Small and fast, as in spice-real.test.ts.
const FAST: Partial<SpiceOptions> = { heads: 3, epochs: 6, pcaDim: 64, self: { minSteps: 200 } };

test('the choice reads no ground truth: labels removed or shuffled, the same runs, signals and choice', async () => {
  const source = await getEmbeddedProject({ perClass: 30, views: { weak: 2, strong: 2 } });
  const outcome = async (project: Project) => {
    const km = await runKmeans(project, { k: 10, seed: 3 });
    const sp = await runSpice(project, { ...FAST, k: 10, seed: 3 });
    const report = (id: number) => getRun(project.db, id)!.report as Record<string, unknown>;
    return { km, sp, health: report(sp).health, choice: chooseDefaultRun(listRuns(project.db, { state: 'done' })) };
  };
  const copies = [source.copy(), source.copy(), source.copy()];
  try {
    copies[1].project.db.prepare('UPDATE images SET label = NULL').run();
    // Shuffled: every image gets another image's folder label.
    copies[2].project.db.prepare(`UPDATE images SET label = (SELECT label FROM images j WHERE j.id = (images.id % (SELECT MAX(id) FROM images)) + 1)`).run();
    const [original, unlabelled, shuffled] = [await outcome(copies[0].project), await outcome(copies[1].project), await outcome(copies[2].project)];
    assert.ok(typeof (original.health as { learned: unknown }).learned === 'boolean');
    assert.ok([original.km, original.sp].includes(original.choice.run!.id));
    for (const other of [unlabelled, shuffled]) {
      assert.deepEqual(other.health, original.health);
      assert.equal(other.choice.run?.method, original.choice.run?.method);
      assert.equal(other.choice.reason, original.choice.reason);
    }
  } finally {
    for (const c of copies) c.cleanup();
  }
});
