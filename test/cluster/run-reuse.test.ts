// Running the full pipeline again with nothing changed adds no run: `npm run demo` twice, or "Run
// pipeline" twice in the app, reuses the finished k-means and SPICE runs. Any change that matters (a
// setting, k, the embedded images) makes new ones.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Project } from '../../main/project/project.ts';
import { runFullPipeline, type FullPipelineOptions } from '../../main/app/full-pipeline.ts';
import { getEmbeddedProject } from '../helpers/embedded-project.ts';
import { MOBILENET_V1 } from '../helpers/paths.ts';

// Small and quick SPICE settings; the views are the cached project's bank, so nothing is embedded again.
const OPTIONS: FullPipelineOptions = {
  imageFolder: null,
  backbone: MOBILENET_V1,
  size: 128,
  views: { weak: 1, strong: 1, fixed: 0 },
  k: 10,
  seed: 0,
  spice: { heads: 2, epochs: 3, semiEpochs: 0, pcaDim: 32, self: { minSteps: 50 } },
};

let project: Project;
let cleanup: () => void;
const runCount = () => (project.db.prepare('SELECT COUNT(*) AS n FROM runs').get() as { n: number }).n;

before(async () => {
  const source = await getEmbeddedProject({ perClass: 20, views: { weak: 1, strong: 1 } });
  ({ project, cleanup } = source.copy());
});
after(() => cleanup());

test('a second run with nothing changed reuses both runs and adds none', async () => {
  const first = await runFullPipeline(project, OPTIONS);
  assert.deepEqual(first.reused, []);
  assert.equal(first.embedded.computed, 0, 'the cached bank was complete');
  const runs = runCount();
  const second = await runFullPipeline(project, OPTIONS);
  assert.deepEqual(second.reused, ['kmeans', 'spice']);
  assert.equal(second.kmeansRunId, first.kmeansRunId);
  assert.equal(second.spiceRunId, first.spiceRunId);
  assert.equal(runCount(), runs, 'no run added');
  assert.equal(second.seconds.kmeans, undefined, 'no k-means stage was timed: nothing ran');
});

test('another setting or k makes a new run of the method it concerns', async () => {
  const before = await runFullPipeline(project, OPTIONS);
  const epochs = await runFullPipeline(project, { ...OPTIONS, spice: { ...OPTIONS.spice, epochs: 4 } });
  assert.deepEqual(epochs.reused, ['kmeans']);
  assert.notEqual(epochs.spiceRunId, before.spiceRunId);
  const k = await runFullPipeline(project, { ...OPTIONS, k: 8 });
  assert.deepEqual(k.reused, []);
  assert.notEqual(k.kmeansRunId, before.kmeansRunId);
  // Back to the first settings: the first runs again.
  const again = await runFullPipeline(project, OPTIONS);
  assert.deepEqual([again.kmeansRunId, again.spiceRunId], [before.kmeansRunId, before.spiceRunId]);
});

test('other embedded images make new runs', async () => {
  const before = await runFullPipeline(project, { ...OPTIONS, spice: { ...OPTIONS.spice, epochs: 4 } });
  // One image leaves the project (its vectors go with it).
  project.db.prepare('DELETE FROM images WHERE id = (SELECT MAX(id) FROM images)').run();
  const after = await runFullPipeline(project, { ...OPTIONS, spice: { ...OPTIONS.spice, epochs: 4 } });
  assert.deepEqual(after.reused, []);
  assert.notEqual(after.kmeansRunId, before.kmeansRunId);
  assert.notEqual(after.spiceRunId, before.spiceRunId);
});
