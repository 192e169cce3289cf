// Embedding in shards (`embed --shard i/N --out`) in separate processes on copies of a project, then
// `embeddings merge` into the original, gives the same vectors as one embed; merging again adds none.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, renameSync, mkdtempSync, rmSync, statSync, truncateSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openProject, projectDbPath } from '../../main/project/project.ts';
import { importFolder } from '../../main/pipeline/import/import-job.ts';
import { readShardHeader } from '../../main/pipeline/embed/shard-file.ts';
import { parseShard } from '../../main/pipeline/embed/shard.ts';
import { CIFAR_CLASSES, MOBILENET_V1, REPO_DIR, demoImage } from '../helpers/paths.ts';

const CLI = join(REPO_DIR, 'bin/spice-workbench.js');
const EMBED_ARGS = ['--model', MOBILENET_V1, '--size', '64', '--views', 'weak=1,strong=1,fixed=1', '--seed', '3'];

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 180_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function cliAsync(args: string[]): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args]);
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('close', (status) => resolve({ status, output }));
  });
}

/** image sha256 + view -> vector, for every stored vector of the project. */
function vectors(dir: string): Map<string, Float32Array> {
  const project = openProject(dir, { create: false });
  try {
    const rows = project.db.prepare('SELECT i.sha256, e.view, e.vector FROM embeddings e JOIN images i ON i.id = e.image_id').raw().all() as Array<
      [string, string, Buffer]
    >;
    return new Map(rows.map(([sha, view, blob]) => [`${sha} ${view}`, new Float32Array(Uint8Array.from(blob).buffer)]));
  } finally {
    project.close();
  }
}

test('two shard processes and a merge give the vectors of one embed, and a second merge adds nothing', { timeout: 600_000 }, async () => {
  const root = mkdtempSync(join(tmpdir(), 'spice-shards-'));
  try {
    const images = join(root, 'images');
    for (const cls of CIFAR_CLASSES.slice(0, 3)) {
      mkdirSync(join(images, cls), { recursive: true });
      for (let i = 0; i < 6; i++) copyFileSync(demoImage(cls, i), join(images, cls, `${i}.jpg`));
    }
    const main = join(root, 'main');
    const project = openProject(main);
    await importFolder(project, images, { labelsFromFolders: true });
    project.close();
    const copies = ['whole', 'shard0', 'shard1'].map((name) => {
      mkdirSync(join(root, name));
      copyFileSync(projectDbPath(main), projectDbPath(join(root, name)));
      return join(root, name);
    });

    const whole = cli(['embed', '--project', copies[0], ...EMBED_ARGS]);
    assert.equal(whole.status, 0, whole.stderr);
    // The two shards at once, as two pods of an indexed job would run them.
    const shardFiles = [join(root, 's0.bin'), join(root, 's1.bin')];
    // The "pods" see the images at another place than the one they were imported from.
    const mounted = join(root, 'mounted');
    renameSync(images, mounted);
    const runs = await Promise.all(
      [0, 1].map((i) => cliAsync(['embed', '--project', copies[i + 1], ...EMBED_ARGS, '--shard', `${i}/2`, '--out', shardFiles[i], '--image-root', mounted])),
    );
    for (const r of runs) assert.equal(r.status, 0, r.output);
    assert.match(runs[0].output, /shard 0\/2 +\d+ vectors written to/);

    const headers = shardFiles.map((f) => readShardHeader(f).header);
    assert.equal(headers[0].rows + headers[1].rows, 18 * 4, 'the shards split the 18 images x 4 views between them');
    assert.ok(headers[0].rows > 0 && headers[1].rows > 0);

    const merged = cli(['embeddings', 'merge', '--project', main, ...shardFiles, '--json']);
    assert.equal(merged.status, 0, merged.stderr);
    assert.equal((JSON.parse(merged.stdout.trim().split('\n').pop()!) as { added: number }).added, 72);

    const expected = vectors(copies[0]);
    const actual = vectors(main);
    assert.deepEqual([...actual.keys()].sort(), [...expected.keys()].sort());
    for (const [key, want] of expected) {
      const got = actual.get(key)!;
      let worst = 0;
      for (let d = 0; d < want.length; d++) worst = Math.max(worst, Math.abs(got[d] - want[d]));
      assert.ok(worst < 1e-5, `${key}: differs by ${worst}`);
    }

    const again = cli(['embeddings', 'merge', '--project', main, ...shardFiles, '--json']);
    assert.equal(again.status, 0, again.stderr);
    assert.equal((JSON.parse(again.stdout.trim().split('\n').pop()!) as { added: number }).added, 0);
    assert.equal(vectors(main).size, 72);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('a damaged shard file or one made at another input size is refused before anything is written', { timeout: 600_000 }, async () => {
  const root = mkdtempSync(join(tmpdir(), 'spice-shards-bad-'));
  try {
    const images = join(root, 'images');
    mkdirSync(join(images, 'cat'), { recursive: true });
    for (let i = 0; i < 4; i++) copyFileSync(demoImage('cat', i), join(images, 'cat', `${i}.jpg`));
    const main = join(root, 'main');
    const project = openProject(main);
    await importFolder(project, images, { labelsFromFolders: true });
    project.close();
    mkdirSync(join(root, 'copy'));
    copyFileSync(projectDbPath(main), projectDbPath(join(root, 'copy')));
    const file = join(root, 'all.bin');
    const made = cli(['embed', '--project', join(root, 'copy'), '--model', MOBILENET_V1, '--size', '64', '--shard', '0/1', '--out', file]);
    assert.equal(made.status, 0, made.stderr);

    // The main project already embeds at 96 px: a 64-px shard must not mix in.
    assert.equal(cli(['embed', '--project', main, '--model', MOBILENET_V1, '--size', '96']).status, 0);
    const sized = cli(['embeddings', 'merge', '--project', main, file]);
    assert.notEqual(sized.status, 0);
    assert.match(sized.stderr, /64|size/);

    const cut = join(root, 'cut.bin');
    writeFileSync(cut, readFileSync(file).subarray(0, statSync(file).size - 10));
    const damaged = cli(['embeddings', 'merge', '--project', main, cut]);
    assert.notEqual(damaged.status, 0);
    assert.match(damaged.stderr, /incomplete or damaged/);
    truncateSync(cut, 4);
    assert.match(cli(['embeddings', 'merge', '--project', main, cut]).stderr, /not an embedding shard/);
    assert.equal(vectors(main).size, 4, 'only the 96-px vectors of the main project');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('shards are written i/N with 0 <= i < N', () => {
  assert.deepEqual(parseShard('2/5'), { index: 2, count: 5 });
  assert.throws(() => parseShard('5/5'), /from 0 to 4/);
  assert.throws(() => parseShard('1-4'), /i\/N/);
  assert.equal(cli(['embed', '--project', '/nonexistent', '--model', 'x', '--shard', '0/2']).status, 2);
});
