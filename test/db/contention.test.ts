// Writers in three processes at once: the bridge (what `serve` runs) taking a person's names and labels
// as fast as a client sends them, while a CLI `embed` stores a view bank and a CLI `cluster` stores
// run after run in the same project. For a bounded time: no write is lost, and none fails with
// "database is locked" (every read-then-write transaction starts as a write, so the busy timeout
// applies instead of an immediate SQLITE_BUSY).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createServices, type Services } from '../../main/app/services/index.ts';
import { runKmeans } from '../../main/pipeline/cluster/run-kmeans.ts';
import { startBridgeServer, type BridgeServer } from '../../main/server/bridge-server.ts';
import { makeTempDir } from '../helpers/cifar-subset.ts';
import { getEmbeddedProject } from '../helpers/embedded-project.ts';
import { MOBILENET_V1, REPO_DIR } from '../helpers/paths.ts';
import { connect, type TestClient } from '../server/ws-client.ts';

const BIN = join(REPO_DIR, 'bin/spice-workbench.js');
/** How long the person keeps writing while the two CLI writers run. */
const WRITE_FOR_MS = 20_000;
const K = 10;
const NAMES = ['plane', 'car', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];

let temp: ReturnType<typeof makeTempDir>;
let projectDir = '';
let cleanup: (() => void) | undefined;
let services: Services;
let server: BridgeServer;
let client: TestClient;
let runId = 0;

before(async () => {
  const source = await getEmbeddedProject();
  const copy = source.copy();
  runId = await runKmeans(copy.project, { k: K, seed: 0, restarts: 2 });
  copy.project.close();
  projectDir = copy.dir;
  cleanup = copy.cleanup;
  temp = makeTempDir('spice-contention-');
  services = createServices({ platform: 'browser', stateDir: temp.dir });
  server = await startBridgeServer({ services });
  client = await connect(server.port, { Authorization: `Bearer ${server.token}` });
  await client.call('projects.open', { dir: projectDir });
});

after(async () => {
  client?.close();
  await server?.close();
  services?.dispose();
  cleanup?.();
  temp?.cleanup();
});

interface Writer {
  child: ChildProcess;
  output(): string;
}

function startCli(args: string[]): Writer {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (text += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (text += d));
  return { child, output: () => text };
}

async function stop(w: Writer): Promise<void> {
  if (w.child.exitCode !== null || w.child.signalCode !== null) return;
  w.child.kill('SIGINT'); // Ctrl-C: the command cancels its job and exits
  const timer = setTimeout(() => w.child.kill('SIGKILL'), 20_000);
  await once(w.child, 'exit');
  clearTimeout(timer);
}

test('serve + CLI embed + CLI cluster writing one project: no write lost, no "locked" error', { timeout: 300_000 }, async () => {
  const imageIds = (await client.call('clusters.images', { runId, cluster: 0, sort: 'confidence', offset: 0, limit: 1000 })).items.map((i) => i.imageId);
  const allIds = services.session.requireProject().db.prepare('SELECT id FROM images ORDER BY id').pluck().all() as number[];
  assert.ok(imageIds.length > 0 && allIds.length >= 100);

  const embed = startCli(['embed', '--project', projectDir, '--model', MOBILENET_V1, '--views', 'weak=3,strong=3,fixed=0', '--seed', '7']);
  const clusterLoop: Writer[] = [];
  let clustering = true;
  const clusterRuns = (async () => {
    while (clustering) {
      const w = startCli(['cluster', '--project', projectDir, '--method', 'kmeans', '--k', String(K), '--restarts', '2', '--seed', String(clusterLoop.length)]);
      clusterLoop.push(w);
      await once(w.child, 'exit');
    }
  })();

  // The person: names, labels, outliers, as fast as the bridge answers, each one checked.
  const expectedName = new Map<number, string | null>();
  const expectedLabel = new Map<number, string | 'outlier' | null>();
  const failures: string[] = [];
  let writes = 0;
  const until = Date.now() + WRITE_FOR_MS;
  for (let i = 0; Date.now() < until; i++) {
    const kind = i % 4;
    let r: { result?: unknown; error?: { code: string; message: string } };
    if (kind === 0 || kind === 1) {
      const cluster = i % K;
      const name = kind === 0 ? NAMES[(i * 7) % NAMES.length] : null;
      r = await client.raw('mapping.setClusterName', { runId, cluster, className: name });
      if (!r.error) expectedName.set(cluster, name);
    } else if (kind === 2) {
      const ids = [allIds[(i * 13) % allIds.length], allIds[(i * 29) % allIds.length]];
      const name = NAMES[(i * 3) % NAMES.length];
      r = await client.raw('corrections.move', { imageIds: ids, className: name });
      if (!r.error) for (const id of ids) expectedLabel.set(id, name);
    } else {
      const id = allIds[(i * 17) % allIds.length];
      r = await client.raw('corrections.markOutlier', { imageIds: [id] });
      if (!r.error) expectedLabel.set(id, 'outlier');
    }
    writes++;
    if (r.error) failures.push(`${r.error.code}: ${r.error.message}`);
  }
  clustering = false;
  await stop(embed);
  for (const w of clusterLoop) await stop(w);
  await clusterRuns;

  assert.deepEqual(failures.slice(0, 5), [], `${failures.length} of ${writes} writes failed`);
  assert.ok(writes >= 200, `only ${writes} writes in ${WRITE_FOR_MS} ms`);
  // The writers really wrote meanwhile.
  const db = services.session.requireProject().db;
  assert.ok(clusterLoop.length >= 2, 'the cluster loop ran');
  assert.ok(
    (db.prepare(`SELECT COUNT(*) FROM embeddings WHERE view LIKE 'weak/%'`).pluck().get() as number) > 0,
    `embed stored nothing:\n${embed.output().slice(-1500)}`,
  );
  for (const w of [embed, ...clusterLoop]) assert.doesNotMatch(w.output(), /locked|SQLITE_BUSY/i, w.output().slice(-1500));

  // Every write is there, as last written.
  for (const [cluster, name] of expectedName) {
    const stored = db.prepare('SELECT class_name FROM cluster_names WHERE run_id = ? AND cluster = ?').pluck().get(runId, cluster) ?? null;
    assert.equal(stored, name, `cluster ${cluster}`);
  }
  for (const [imageId, label] of expectedLabel) {
    const row = db.prepare('SELECT class_name, outlier FROM person_labels WHERE image_id = ?').get(imageId) as { class_name: string | null; outlier: number } | undefined;
    assert.ok(row, `image ${imageId} lost its label`);
    assert.equal(row.outlier === 1 ? 'outlier' : row.class_name, label, `image ${imageId}`);
  }
  assert.equal(db.pragma('quick_check', { simple: true }), 'ok');
});
