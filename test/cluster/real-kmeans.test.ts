// k-means, evaluation, mapping and corrections on real MobileNet v1 embeddings of 300 CIFAR-10 images.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { getEmbeddedProject, type EmbeddedProject } from '../helpers/embedded-project.ts';
import type { Project } from '../../main/project/project.ts';
import { predictKmeans, runKmeans } from '../../main/pipeline/cluster/run-kmeans.ts';
import { loadEmbeddingMatrix } from '../../main/db/embeddings-repo.ts';
import { evaluateRun } from '../../main/pipeline/cluster/evaluate.ts';
import { getRun, loadAssignments } from '../../main/db/runs-repo.ts';
import { applyProposal, getClusterNames, proposeMappingFromGroundTruth } from '../../main/pipeline/cluster/cluster-names.ts';
import { finalLabels } from '../../main/pipeline/label/final-labels.ts';
import { labelImages as moveImagesToClass, markOutliers } from '../../main/pipeline/label/person-labels.ts';
import { JobCancelledError } from '../../main/jobs/runner.ts';
import { countAssignments, listRuns } from '../../main/db/runs-repo.ts';

let source: EmbeddedProject;
let project: Project;
let cleanup: () => void;
let truth: Map<number, string>;

before(async () => {
  source = await getEmbeddedProject({ perClass: 30 });
  ({ project, cleanup } = source.copy());
  truth = new Map((project.db.prepare('SELECT id, label FROM images').all() as Array<{ id: number; label: string }>).map((r) => [r.id, r.label]));
});
after(() => cleanup());

const mappedAccuracy = (runId: number) => {
  const labels = finalLabels(project.db, runId);
  return labels.filter((l) => l.className === truth.get(l.imageId)).length / labels.length;
};

test('k-means on real embeddings: stored as a run, ACC clearly above chance', async () => {
  const runId = await runKmeans(project, { k: 10, seed: 0 });
  const run = getRun(project.db, runId)!;
  assert.equal(run.method, 'kmeans');
  assert.equal(run.state, 'done');
  assert.equal(run.k, 10);
  assert.equal(run.backboneId, source.backboneId);
  assert.ok(run.timings && run.timings.kmeans > 0);
  assert.equal((run.report as { restartInertias: number[] }).restartInertias.length, 10);
  const job = project.db.prepare('SELECT kind, state FROM jobs WHERE id = ?').get(run.jobId) as { kind: string; state: string };
  assert.deepEqual(job, { kind: 'cluster', state: 'done' });

  const rows = loadAssignments(project.db, runId);
  assert.equal(rows.length, source.count);
  for (const r of rows) {
    const sum = r.probs.reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(sum - 1) < 1e-4, 'probabilities sum to 1');
    assert.equal(Math.max(...r.probs), r.probs[r.cluster], 'the assigned cluster is the most probable');
    assert.ok(Math.abs(r.confidence - r.probs[r.cluster]) < 1e-6);
    assert.ok(r.doubt >= 0 && r.doubt <= 1);
  }
  // Ten balanced classes: chance is 0.1 (a random partition scores ~0.15 by best matching); measured 0.39 here.
  const e = evaluateRun(project.db, runId);
  assert.ok(e.metrics.acc > 0.25, `ACC ${e.metrics.acc}`);
  assert.ok(e.metrics.nmi > 0.2, `NMI ${e.metrics.nmi}`);
  assert.ok(e.metrics.ari > 0.08, `ARI ${e.metrics.ari}`);
  assert.equal(e.labelled, source.count);

  // Same seed, same clustering.
  const again = await runKmeans(project, { k: 10, seed: 0 });
  assert.deepEqual(
    loadAssignments(project.db, again).map((r) => r.cluster),
    rows.map((r) => r.cluster),
  );
});

test('over-clustering (K=20) with a many-to-one mapping does as well as K = number of classes', async () => {
  const exact = await runKmeans(project, { k: 10, seed: 1 });
  const over = await runKmeans(project, { k: 20, seed: 1 });
  const exactEval = evaluateRun(project.db, exact);
  const overEval = evaluateRun(project.db, over);
  // One-to-one ACC must leave 10 of the 20 clusters out, so it drops; purity does not.
  assert.ok(overEval.metrics.acc < overEval.metrics.purity);
  assert.equal(overEval.metrics.perCluster.filter((c) => c.matchedClass === null).length, 10);

  const proposal = proposeMappingFromGroundTruth(project.db, over);
  const names = proposal.clusters.map((c) => c.className);
  assert.equal(names.length, 20);
  assert.ok(proposal.clusters.filter((c) => c.reason === 'majority').length >= 9, 'surplus clusters take their majority class');
  assert.ok(new Set(names.filter((n) => n !== null)).size <= 10);
  applyProposal(project.db, over, proposal);
  assert.deepEqual(getClusterNames(project.db, over), names);
  const overAcc = mappedAccuracy(over);
  applyProposal(project.db, exact, proposeMappingFromGroundTruth(project.db, exact));
  const exactAcc = mappedAccuracy(exact);
  assert.ok(overAcc >= 0.9 * exactEval.metrics.acc, `K=20 mapped ${overAcc} vs K=10 ACC ${exactEval.metrics.acc}`);
  assert.ok(overAcc >= 0.9 * exactAcc, `K=20 mapped ${overAcc} vs K=10 mapped ${exactAcc}`);
});

test('a correction survives a re-run and overrides it', async () => {
  const first = await runKmeans(project, { k: 10, seed: 2 });
  applyProposal(project.db, first, proposeMappingFromGroundTruth(project.db, first));
  const before = finalLabels(project.db, first);
  // Fix one image the run got wrong, mark another as an outlier.
  const wrong = before.find((l) => l.className !== null && l.className !== truth.get(l.imageId))!;
  const outlier = before.find((l) => l.imageId !== wrong.imageId)!;
  moveImagesToClass(project.db, [wrong.imageId], truth.get(wrong.imageId)!);
  markOutliers(project.db, [outlier.imageId]);

  const second = await runKmeans(project, { k: 10, seed: 3 });
  applyProposal(project.db, second, proposeMappingFromGroundTruth(project.db, second));
  const after = new Map(finalLabels(project.db, second).map((l) => [l.imageId, l]));
  assert.equal(after.get(wrong.imageId)!.className, truth.get(wrong.imageId));
  assert.equal(after.get(wrong.imageId)!.corrected, true);
  assert.equal(after.get(outlier.imageId)!.outlier, true);
  assert.equal(after.get(outlier.imageId)!.className, null);
  // Images nobody corrected follow the new run.
  const untouched = [...after.values()].filter((l) => !l.corrected);
  const names = getClusterNames(project.db, second);
  for (const l of untouched) assert.equal(l.className, names[l.cluster!]);
});

test('runKmeans: clear errors for a bad k or backbone', async () => {
  await assert.rejects(runKmeans(project, { k: 1 }), /at least 2/);
  await assert.rejects(runKmeans(project, { k: 5000 }), /more than the 300 embedded images/);
  await assert.rejects(runKmeans(project, { k: 5, backbone: 'no-such-net' }), /no backbone 'no-such-net'.*mobilenet/);
});

test('runKmeans: cancelling stops the job, marks the run cancelled and stores no assignments', async () => {
  const controller = new AbortController();
  const pending = runKmeans(project, { k: 10, seed: 9, signal: controller.signal });
  controller.abort();
  await assert.rejects(pending, JobCancelledError);
  const run = listRuns(project.db)[0];
  assert.equal(run.state, 'cancelled');
  assert.equal(run.seed, 9);
  assert.equal(countAssignments(project.db, run.id), 0);
  const job = project.db.prepare('SELECT state FROM jobs WHERE id = ?').pluck().get(run.jobId);
  assert.equal(job, 'cancelled');
});

test("predictKmeans: new vectors get the nearest centroid with the run's temperature", async () => {
  const runId = await runKmeans(project, { k: 8, seed: 4, restarts: 2 });
  const stored = loadAssignments(project.db, runId);
  const m = loadEmbeddingMatrix(project.db, source.backboneId);
  const p = predictKmeans(project.db, runId, m.data, m.imageIds.length, m.dim);
  assert.deepEqual(
    [...p.labels],
    stored.map((r) => r.cluster),
  );
  for (let i = 0; i < stored.length; i += 37) {
    assert.ok(Math.abs(p.confidence[i] - stored[i].confidence) < 1e-5);
    assert.ok(Math.abs(p.probs[i * 8 + 3] - stored[i].probs[3]) < 1e-5);
  }
  assert.throws(() => predictKmeans(project.db, runId, new Float32Array(4), 1, 4), /1024-d embeddings/);
});
