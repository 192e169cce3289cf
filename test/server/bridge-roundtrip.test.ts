// A real session over the WebSocket bridge: a small CIFAR-10 project (imported and embedded with
// MobileNet v1 for real), clustered by a job started over the socket, then browsed, named, corrected,
// undone and exported through the contract.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServices, type Services } from '../../main/app/services/index.ts';
import { startBridgeServer, type BridgeServer } from '../../main/server/bridge-server.ts';
import type { RunSummary } from '../../preload/contract/api.ts';
import { makeTempDir } from '../helpers/cifar-subset.ts';
import { getEmbeddedProject } from '../helpers/embedded-project.ts';
import { connect, type TestClient } from './ws-client.ts';

let services: Services;
let server: BridgeServer;
let client: TestClient;
let run: RunSummary;
let count = 0;
const cleanups: Array<() => void> = [];

before(async () => {
  const embedded = await getEmbeddedProject();
  count = embedded.count;
  const copy = embedded.copy();
  cleanups.push(copy.cleanup);
  copy.project.close(); // the services open it themselves
  const state = makeTempDir('spice-state-');
  cleanups.push(state.cleanup);
  services = createServices({ platform: 'browser', stateDir: state.dir });
  server = await startBridgeServer({ services });
  client = await connect(server.port, { Authorization: `Bearer ${server.token}`, Origin: `http://127.0.0.1:${server.port}` });
  const summary = await client.call('projects.open', { dir: copy.dir });
  assert.equal(summary.imageCount, count);
});

after(async () => {
  client?.close();
  await server?.close();
  services?.dispose();
  for (const c of cleanups) c();
});

test('a k-means job started over the socket reports progress and its end as pushed events', async () => {
  const backbones = await client.call('backbones.list');
  assert.equal(backbones.length, 1);
  assert.deepEqual(backbones[0].views, [{ view: 'plain', count }]);
  const { jobId } = await client.call('pipeline.startCluster', { method: 'kmeans', k: 10, seed: 0 });
  const again = await client.raw('pipeline.startCluster', { method: 'kmeans', k: 10, seed: 1 });
  assert.equal(again.error?.code, 'conflict');
  const finished = await client.waitFor((e) => e.type === 'job' && e.event.type === 'finished' && e.event.jobId === jobId);
  assert.equal(finished.type === 'job' && finished.event.type === 'finished' && finished.event.state, 'done');
  assert.ok(client.pushes.some((e) => e.type === 'job' && e.event.type === 'started' && e.event.jobId === jobId));
  assert.ok(client.pushes.some((e) => e.type === 'job' && e.event.type === 'progress' && e.event.progress.jobId === jobId));
  await client.waitFor((e) => e.type === 'changed' && e.areas.includes('runs'));
  const jobs = await client.call('pipeline.jobs');
  assert.equal(jobs.find((j) => j.id === jobId)?.state, 'done');
  const runs = await client.call('runs.list');
  assert.equal(runs.length, 1);
  run = runs[0];
  assert.equal(run.method, 'kmeans');
  assert.equal(run.imageCount, count);
  // Real features: far above the 0.1 of chance on ten balanced classes.
  assert.ok(run.scores && run.scores.acc > 0.3, `ACC ${run.scores?.acc}`);
});

test('the cluster overview and its pages agree, sorted as asked', async () => {
  const overview = await client.call('clusters.overview', { runId: run.id });
  assert.equal(overview.cards.length, 10);
  assert.equal(overview.total, count);
  assert.equal(
    overview.cards.reduce((s, c) => s + c.size, 0),
    count,
  );
  const card = overview.cards.find((c) => c.size >= 10)!;
  const page = await client.call('clusters.images', { runId: run.id, cluster: card.cluster, sort: 'confidence', offset: 0, limit: 8 });
  assert.equal(page.total, card.size);
  assert.deepEqual(
    page.items.map((r) => r.imageId),
    card.sampleImageIds,
  );
  for (let i = 1; i < page.items.length; i++) assert.ok(page.items[i - 1].confidence >= page.items[i].confidence);
  const all = await client.call('clusters.images', { runId: run.id, cluster: card.cluster, sort: 'doubt', offset: 0, limit: 2000 });
  assert.equal(all.items.length, card.size);
  for (let i = 1; i < all.items.length; i++) assert.ok(all.items[i - 1].doubt >= all.items[i].doubt);
  const second = await client.call('clusters.images', { runId: run.id, cluster: card.cluster, sort: 'doubt', offset: 3, limit: 2 });
  assert.deepEqual(second.items, all.items.slice(3, 5));
});

test('image detail gives its probabilities and nearest neighbours by cosine', async () => {
  const page = await client.call('clusters.images', { runId: run.id, cluster: 0, sort: 'confidence', offset: 0, limit: 1 });
  const imageId = page.items[0].imageId;
  const detail = await client.call('image.detail', { imageId, runId: run.id });
  assert.equal(detail.probs.length, 10);
  assert.ok(Math.abs(detail.probs.reduce((a, b) => a + b, 0) - 1) < 1e-3);
  assert.equal(detail.cluster, 0);
  assert.ok(detail.label !== null);
  assert.match(detail.relPath, /^[a-z]+\/\d{4}\.jpg$/);
  assert.equal(detail.neighbours.length, 12);
  assert.ok(!detail.neighbours.some((n) => n.imageId === imageId));
  for (let i = 1; i < detail.neighbours.length; i++) assert.ok(detail.neighbours[i - 1].similarity >= detail.neighbours[i].similarity);
  assert.ok(detail.neighbours[0].similarity > 0.5 && detail.neighbours[0].similarity <= 1.0001);
});

test('naming clusters from ground truth, correcting images, undoing both', async () => {
  const proposal = await client.call('mapping.propose', { runId: run.id, from: 'ground-truth' });
  assert.equal(proposal.entries.length, 10);
  assert.equal(proposal.evidence, count);
  const accepted = await client.call('mapping.accept', { runId: run.id, proposal });
  assert.ok(accepted.previous.every((e) => e.className === null));
  const mapping = await client.call('mapping.get', { runId: run.id });
  for (const e of proposal.entries) if (e.className) assert.equal(mapping.clusters[e.cluster].className, e.className);
  const metrics = await client.call('runs.metrics', { runId: run.id });
  assert.ok(metrics.hasGroundTruth && metrics.scores && metrics.finalScores);
  assert.equal(metrics.confusion.length, 10);
  assert.equal(metrics.labels.length, 10);

  const named = proposal.entries.find((e) => e.className !== null)!;
  const byClass = await client.call('clusters.images', { runId: run.id, className: named.className!, sort: 'confidence', offset: 0, limit: 2000 });
  assert.ok(byClass.total > 0 && byClass.items.every((r) => r.className === named.className));

  const victims = byClass.items.slice(0, 2).map((r) => r.imageId);
  const moved = await client.call('corrections.move', { imageIds: victims, className: 'my new class' });
  assert.deepEqual(
    moved.previous,
    victims.map((imageId) => ({ imageId, className: null, outlier: false })),
  );
  const after = await client.call('clusters.images', { runId: run.id, className: 'my new class', sort: 'confidence', offset: 0, limit: 10 });
  assert.deepEqual(after.items.map((r) => r.imageId).sort(), [...victims].sort());
  assert.ok(after.items.every((r) => r.corrected));
  const outlier = await client.call('corrections.markOutlier', { imageIds: [victims[0]] });
  assert.deepEqual(outlier.previous, [{ imageId: victims[0], className: 'my new class', outlier: false, origin: 'set' }]);
  const outliers = await client.call('clusters.images', { runId: run.id, outliers: true, sort: 'doubt', offset: 0, limit: 10 });
  assert.deepEqual(
    outliers.items.map((r) => r.imageId),
    [victims[0]],
  );
  // Undo in reverse order restores the exact earlier states.
  await client.call('corrections.restore', { entries: outlier.previous });
  await client.call('corrections.restore', { entries: moved.previous });
  const restored = await client.call('clusters.images', { runId: run.id, className: named.className!, sort: 'confidence', offset: 0, limit: 2000 });
  assert.deepEqual(restored.items, byClass.items);

  const classes = await client.call('labels.classes', { runId: run.id });
  assert.ok(classes.some((c) => c.name === 'my new class' && c.personLabels === 0));
  const undone = await client.call('mapping.restore', { runId: run.id, entries: accepted.previous });
  assert.equal(undone.previous.length, accepted.previous.length);
  assert.ok((await client.call('mapping.get', { runId: run.id })).clusters.every((c) => c.className === null));
  const renamed = await client.call('mapping.setMany', { runId: run.id, clusters: [0, 1], className: 'pair' });
  assert.deepEqual(renamed.previous, [
    { cluster: 0, className: null },
    { cluster: 1, className: null },
  ]);
  const badName = await client.raw('mapping.setClusterName', { runId: run.id, cluster: 2, className: 'a/b' });
  assert.equal(badName.error?.code, 'invalid-argument');
});

test('labels export as CSV with one row per image', async () => {
  const csv = await client.call('export.labels', { runId: run.id, format: 'csv' });
  assert.equal(csv.fileName, `labels-run${run.id}.csv`);
  const lines = csv.content.trim().split('\n');
  assert.equal(lines[0], 'path,class,cluster,confidence,source');
  assert.equal(lines.length, count + 1);
  assert.ok(lines.filter((l) => l.split(',')[1] === 'pair').length > 0);
  const json = await client.call('export.labels', { runId: run.id, format: 'json' });
  assert.equal((JSON.parse(json.content) as { images: unknown[] }).images.length, count);
});

test('the map is computed once per backbone, then served from the cache', async () => {
  // The first call may find it already computed in the background after the clustering job.
  const first = await client.call('map.projection', { runId: run.id });
  assert.equal(first.points.length, count);
  assert.ok(first.points.every((p) => p.x >= 0 && p.x <= 1 && p.y >= 0 && p.y <= 1 && p.cluster >= 0 && p.cluster < 10));
  const xs = new Set(first.points.map((p) => p.x.toFixed(3)));
  assert.ok(xs.size > count / 4, 'points are spread out');
  const second = await client.call('map.projection', { runId: run.id });
  assert.equal(second.cached, true);
  assert.deepEqual(second.points, first.points);
});
