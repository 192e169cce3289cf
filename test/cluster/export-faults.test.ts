// Exports under faults: a full disk fails the export and leaves nothing at the target (a real, small
// tmpfs where this machine may mount one, and a writer that runs out of space half-way everywhere);
// scratch from a killed export is removed by the next one; a symlink planted at the scratch path is
// never followed; every file is flushed to the disk before the rename that publishes it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openProject, type Project } from '../../main/project/project.ts';
import { exportLabels, ExportError } from '../../main/pipeline/label/label-export.ts';
import { diskIo, type ExportIo } from '../../main/pipeline/label/export-files.ts';
import { runKmeans } from '../../main/pipeline/cluster/run-kmeans.ts';
import { makeTempDir } from '../helpers/cifar-subset.ts';
import { getEmbeddedProject } from '../helpers/embedded-project.ts';
import { REPO_DIR } from '../helpers/paths.ts';

let project: Project;
let projectDir = '';
let cleanup: (() => void) | undefined;
let out: ReturnType<typeof makeTempDir>;
let runId = 0;

before(async () => {
  const source = await getEmbeddedProject({ perClass: 30 });
  const copy = source.copy();
  ({ project } = copy);
  projectDir = copy.dir;
  cleanup = copy.cleanup;
  out = makeTempDir('spice-export-faults-');
  runId = await runKmeans(project, { k: 10, seed: 0, restarts: 2 });
});

after(() => {
  project?.close();
  cleanup?.();
  out?.cleanup();
});

const lastJob = () => project.db.prepare(`SELECT state, error FROM jobs WHERE kind = 'export' ORDER BY id DESC LIMIT 1`).get() as { state: string; error: string | null };
const besides = (dir: string, name: string) => readdirSync(dir).filter((f) => f.startsWith(name));

/** The real disk, until `after` files have been written: then every write fails as on a full disk. */
function fillingUpAfter(after: number): ExportIo {
  let written = 0;
  const full = () => Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
  return {
    ...diskIo,
    async copyFile(source, target) {
      if (++written > after) {
        await diskIo.copyFile(source, target).catch(() => undefined); // a partial file, as a real full disk leaves
        throw full();
      }
      return diskIo.copyFile(source, target);
    },
    async writeFile(target, data) {
      if (++written > after) throw full();
      return diskIo.writeFile(target, data);
    },
  };
}

test('a folder export that runs out of space fails, is recorded failed and leaves nothing in place', async () => {
  const target = join(out.dir, 'folders-full');
  await assert.rejects(exportLabels(project, { runId, format: 'folders', out: target, io: fillingUpAfter(5) }), (err: unknown) => {
    assert.ok(err instanceof ExportError, String(err));
    assert.match(err.message, /disk is full.*nothing was left there/);
    return true;
  });
  assert.ok(!existsSync(target), 'no folder at the target');
  assert.deepEqual(besides(out.dir, 'folders-full'), [], 'no scratch left beside it');
  assert.equal(lastJob().state, 'failed');
  // CSV and JSON the same way.
  for (const format of ['csv', 'json'] as const) {
    const file = join(out.dir, `labels-full.${format}`);
    await assert.rejects(exportLabels(project, { runId, format, out: file, io: fillingUpAfter(0) }), /disk is full/);
    assert.deepEqual(besides(out.dir, `labels-full.${format}`), []);
    assert.equal(lastJob().state, 'failed');
  }
});

test('onto a real, small, full file system the CLI export fails with one line and leaves nothing', (t) => {
  if (process.platform !== 'linux') return t.skip('needs Linux tmpfs');
  const mnt = join(out.dir, 'small-disk');
  mkdirSync(mnt);
  // 300 images of ~1 kB, their manifest and folders do not fit in 128 kB.
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=128k', 'tmpfs', mnt], { encoding: 'utf8' });
  if (mounted.status !== 0) return t.skip(`cannot mount a small tmpfs here (${(mounted.stderr || 'not permitted').trim()})`);
  try {
    project.close();
    const target = join(mnt, 'labels');
    const r = spawnSync(
      process.execPath,
      [join(REPO_DIR, 'bin/spice-workbench.js'), 'export', '--project', projectDir, '--run', String(runId), '--format', 'folders', '--out', target],
      {
        encoding: 'utf8',
        timeout: 120_000,
      },
    );
    assert.equal(r.status, 1, r.stdout + r.stderr);
    // Progress lines come first; then exactly one error line, and no stack.
    const errors = r.stderr
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('error:'));
    assert.equal(errors.length, 1, r.stderr);
    assert.match(errors[0], /^error: writing the export to .*labels failed \(the disk is full\): nothing was left there/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
    assert.deepEqual(readdirSync(mnt), [], 'the small disk holds nothing afterwards');
  } finally {
    spawnSync('umount', [mnt]);
    project = openProject(projectDir);
  }
});

test('scratch left by a killed export is removed by the next one', async () => {
  const target = join(out.dir, 'after-kill');
  const stale = `${target}.partial-99999999`;
  mkdirSync(join(stale, 'cat'), { recursive: true });
  writeFileSync(join(stale, 'cat', 'half.jpg'), 'half a file');
  const staleCsv = `${target}.csv.partial-99999999`;
  writeFileSync(staleCsv, 'path,class\n');
  await exportLabels(project, { runId, format: 'folders', out: target });
  await exportLabels(project, { runId, format: 'csv', out: `${target}.csv` });
  assert.ok(!existsSync(stale) && !existsSync(staleCsv), 'stale scratch is gone');
  assert.deepEqual(besides(out.dir, 'after-kill').sort(), ['after-kill', 'after-kill.csv']);
  assert.equal(lastJob().state, 'done');
});

test('a symlink planted at the scratch path is never followed', async () => {
  const victimDir = join(out.dir, 'victim');
  mkdirSync(victimDir);
  const victimFile = join(victimDir, 'precious.txt');
  writeFileSync(victimFile, 'keep me');
  const csv = join(out.dir, 'planted.csv');
  symlinkSync(victimFile, `${csv}.partial-${process.pid}`);
  const folders = join(out.dir, 'planted');
  symlinkSync(victimDir, `${folders}.partial-${process.pid}`);
  await exportLabels(project, { runId, format: 'csv', out: csv });
  await exportLabels(project, { runId, format: 'folders', out: folders });
  assert.equal(readFileSync(victimFile, 'utf8'), 'keep me');
  assert.deepEqual(readdirSync(victimDir), ['precious.txt']);
  assert.match(readFileSync(csv, 'utf8'), /^path,class,cluster,confidence,source\n/);
  assert.ok(existsSync(join(folders, 'manifest.csv')));
});

test('every exported file and folder is flushed to the disk before it is renamed into place', async () => {
  const synced: string[] = [];
  const io: ExportIo = { ...diskIo, sync: async (p) => (synced.push(p), diskIo.sync(p)) };
  const target = join(out.dir, 'synced');
  const summary = await exportLabels(project, { runId, format: 'folders', out: target, io });
  const scratch = `${target}.partial-${process.pid}`;
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? [join(dir, e.name), ...walk(join(dir, e.name))] : [join(dir, e.name)]));
  const published = walk(target).map((p) => scratch + p.slice(target.length));
  assert.equal(published.filter((p) => p.endsWith('.jpg')).length, summary.images - summary.missing.length);
  for (const p of published) assert.ok(synced.includes(p), `${p} was not flushed`);
  assert.ok(synced.includes(scratch) && synced.includes(out.dir), 'the folder and its parent are flushed too');
  rmSync(target, { recursive: true });
});
