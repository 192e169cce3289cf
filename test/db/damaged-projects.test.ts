// Damaged and unusual project databases, met the way a user meets them: through the CLI. Each case
// prints one clear line that names the file and says what to do (never a stack), and nothing is
// written to a file that is not ours to change: an empty file stays empty, a newer build's database
// stays byte for byte as it was, a read-only project opens read-only.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  copyFileSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  statSync,
  truncateSync,
  writeFileSync,
  openSync,
  writeSync,
  closeSync,
} from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openDatabase, ProjectDatabaseError, SCHEMA_VERSION } from '../../main/db/connection.ts';
import { runKmeans } from '../../main/pipeline/cluster/run-kmeans.ts';
import { createServices } from '../../main/app/services/index.ts';
import { makeTempDir } from '../helpers/cifar-subset.ts';
import { getEmbeddedProject } from '../helpers/embedded-project.ts';
import { DEMO_IMAGES_DIR, REPO_DIR } from '../helpers/paths.ts';

let temp: ReturnType<typeof makeTempDir>;
/** A real project (imported, embedded, one k-means run), closed cleanly: its whole state is in project.sqlite. */
let good: string;
let runId = 0;

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Whether this user can read the file (every folder above it included). */
function readableBy(uid: number, file: string): boolean {
  return spawnSync(process.execPath, ['-e', `require('node:fs').accessSync(${JSON.stringify(file)})`], { uid, gid: uid }).status === 0;
}

function cli(args: string[], options: { uid?: number } = {}): CliResult {
  const r = spawnSync(process.execPath, [join(REPO_DIR, 'bin/spice-workbench.js'), ...args], {
    encoding: 'utf8',
    timeout: 120_000,
    ...(options.uid !== undefined ? { uid: options.uid, gid: options.uid, env: { ...process.env, HOME: temp.dir } } : {}),
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** One line on stderr, starting `error:`, naming `file`, no stack trace. */
function assertOneClearLine(r: CliResult, file: string, what: RegExp): void {
  assert.equal(r.code, 1, `exit code ${r.code}\n${r.stderr}`);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `more than one line:\n${r.stderr}`);
  assert.match(lines[0], /^error: /);
  assert.ok(lines[0].includes(file), `the message does not name ${file}: ${lines[0]}`);
  assert.match(lines[0], what);
  assert.doesNotMatch(r.stderr, /\n\s+at |SqliteError/);
}

function projectWith(name: string, prepare: (file: string) => void): { dir: string; file: string } {
  const dir = join(temp.dir, name);
  mkdirSync(dir);
  const file = join(dir, 'project.sqlite');
  copyFileSync(join(good, 'project.sqlite'), file);
  prepare(file);
  return { dir, file };
}

const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

before(async () => {
  temp = makeTempDir('spice-damaged-');
  chmodSync(temp.dir, 0o755);
  const source = await getEmbeddedProject();
  const copy = source.copy();
  runId = await runKmeans(copy.project, { k: 2, seed: 0, restarts: 2 });
  copy.project.close();
  good = join(temp.dir, 'good');
  mkdirSync(good);
  copyFileSync(join(copy.dir, 'project.sqlite'), join(good, 'project.sqlite'));
  copy.cleanup();
});

after(() => temp?.cleanup());

test('an empty (0-byte) project.sqlite is refused, not turned into a new empty project', () => {
  const { dir, file } = projectWith('empty', (f) => truncateSync(f, 0));
  for (const args of [
    ['status', '--project', dir],
    ['import', DEMO_IMAGES_DIR, '--project', dir],
  ]) {
    assertOneClearLine(cli(args), file, /is empty \(0 bytes\).*backup/);
  }
  assert.equal(statSync(file).size, 0, 'the file was left as it was');
  assert.deepEqual(readdirSync(dir), ['project.sqlite']);
});

test('a truncated project.sqlite gives one line naming the file', () => {
  const { dir, file } = projectWith('truncated', (f) => truncateSync(f, Math.floor(statSync(f).size / 3)));
  assertOneClearLine(cli(['status', '--project', dir]), file, /damaged|malformed|backup/);
  assertOneClearLine(cli(['export', '--project', dir, '--run', String(runId), '--format', 'csv', '--out', join(temp.dir, 'truncated.csv')]), file, /damaged|backup/);
});

test('a project.sqlite overwritten with something else gives one line naming the file', () => {
  const { dir, file } = projectWith('overwritten', (f) => writeFileSync(f, 'path,class\n'.repeat(2000)));
  assertOneClearLine(cli(['status', '--project', dir]), file, /not a project database/);
});

test('a database from a newer build is refused and not changed at all, and no handle stays open', () => {
  // As a newer build would leave it: closed cleanly, rollback journal (a WAL switch would show in the header).
  const { dir, file } = projectWith('newer', (f) => {
    const db = new Database(f);
    db.pragma('journal_mode = DELETE');
    db.pragma(`user_version = ${SCHEMA_VERSION + 3}`);
    db.close();
  });
  const before = { hash: sha(file), mtime: statSync(file).mtimeMs };
  for (const args of [
    ['status', '--project', dir],
    ['cluster', '--project', dir, '--method', 'kmeans', '--k', '2'],
  ]) {
    assertOneClearLine(cli(args), file, /newer SPICE Workbench.*not changed/);
  }
  assert.equal(sha(file), before.hash, 'the file changed');
  assert.equal(statSync(file).mtimeMs, before.mtime);
  assert.deepEqual(readdirSync(dir), ['project.sqlite'], 'no -wal or -shm was left beside it');
  // In-process: refused with the reason, and the handle is closed (no descriptor of the file is open).
  assert.throws(
    () => openDatabase(file),
    (err: unknown) => err instanceof ProjectDatabaseError && err.problem === 'newer',
  );
  const open = readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`) === file;
    } catch {
      return false;
    }
  });
  assert.deepEqual(open, []);
  assert.equal(sha(file), before.hash);
});

test('status --check reports damaged pages, naming the file', () => {
  const { dir, file } = projectWith('bad-pages', (f) => {
    const pageSize = 4096;
    const pages = statSync(f).size / pageSize;
    // Scribble over a few pages in the middle (thumbnails and embeddings live there).
    const fd = openSync(f, 'r+');
    for (const p of [Math.floor(pages * 0.5), Math.floor(pages * 0.6), Math.floor(pages * 0.7)]) writeSync(fd, Buffer.alloc(pageSize, 0xa5), 0, pageSize, p * pageSize);
    closeSync(fd);
  });
  const checked = cli(['status', '--project', dir, '--check']);
  assert.equal(checked.code, 1, checked.stdout + checked.stderr);
  const first = checked.stderr.split('\n')[0];
  assert.match(first, /^error: .* is damaged: PRAGMA quick_check found \d+\+? problems?/);
  assert.ok(first.includes(file), first);
  assert.doesNotMatch(checked.stderr, /\n\s+at |SqliteError/);
  const json = cli(['status', '--project', dir, '--check', '--json']);
  assert.equal(json.code, 1);
  const report = JSON.parse(json.stdout) as { file: string; check: { ok: boolean; problems: string[] } };
  assert.equal(report.check.ok, false);
  assert.ok(report.check.problems.length > 0);
  // A sound project passes the check.
  const sound = cli(['status', '--project', good, '--check']);
  assert.equal(sound.code, 0, sound.stderr);
  assert.match(sound.stdout, /check: ok/);
});

test(
  'a project this user may not write opens read-only: status and export elsewhere work, writes say why',
  { skip: process.platform !== 'linux' ? 'needs Linux uids' : false },
  (t) => {
    // Owned by root, readable by all, writable by none but root; run the CLI as an ordinary user.
    const asUser = process.getuid?.() === 0 ? 65534 : undefined;
    if (asUser !== undefined && !readableBy(asUser, join(REPO_DIR, 'bin/spice-workbench.js'))) {
      return t.skip(`the checkout ${REPO_DIR} is not readable by uid ${asUser}, whom the test runs the CLI as (a checkout in a private folder, e.g. mktemp -d)`);
    }
    const { dir, file } = projectWith('readonly', () => undefined);
    chmodSync(file, 0o444);
    chmodSync(dir, 0o555);
    const out = join(temp.dir, 'readonly-out');
    mkdirSync(out);
    if (asUser !== undefined) chownSync(out, asUser, asUser);
    const before = sha(file);
    try {
      const status = cli(['status', '--project', dir], { uid: asUser });
      assert.equal(status.code, 0, status.stderr);
      assert.match(status.stdout, /images: 300/);
      assert.match(status.stdout, /opened read-only/);
      const exported = cli(['export', '--project', dir, '--run', String(runId), '--format', 'csv', '--out', join(out, 'labels.csv')], { uid: asUser });
      assert.equal(exported.code, 0, exported.stderr);
      assert.equal(readFileSync(join(out, 'labels.csv'), 'utf8').trim().split('\n').length, 301);
      assertOneClearLine(cli(['cluster', '--project', dir, '--method', 'kmeans', '--k', '2'], { uid: asUser }), file, /read-only for this user/);
      assertOneClearLine(cli(['import', DEMO_IMAGES_DIR, '--project', dir], { uid: asUser }), file, /read-only for this user/);
      assert.equal(sha(file), before, 'the read-only project was not changed');
    } finally {
      chmodSync(dir, 0o755);
      chmodSync(file, 0o644);
    }
  },
);

test('a project on a read-only file system opens read-only in the app: browsing and export elsewhere work, edits say why', async (t) => {
  if (process.platform !== 'linux') return t.skip('needs Linux tmpfs');
  const mnt = join(temp.dir, 'ro-disk');
  mkdirSync(mnt);
  if (spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64m', 'tmpfs', mnt]).status !== 0) return t.skip('cannot mount a tmpfs here');
  const services = createServices({ platform: 'browser', stateDir: join(temp.dir, 'ro-state') });
  try {
    mkdirSync(join(mnt, 'project'));
    copyFileSync(join(good, 'project.sqlite'), join(mnt, 'project', 'project.sqlite'));
    // Read-only even for root: the folder has no -shm, so SQLite cannot open it in place.
    assert.equal(spawnSync('mount', ['-o', 'remount,ro', mnt]).status, 0);
    const opened = await services.dispatch('projects.open', { dir: join(mnt, 'project') });
    assert.ok(opened.ok, JSON.stringify(opened));
    const overview = await services.dispatch('clusters.overview', { runId });
    assert.ok(overview.ok, JSON.stringify(overview));
    const named = await services.dispatch('mapping.setClusterName', { runId, cluster: 0, className: 'cat' });
    assert.ok(!named.ok);
    assert.match(named.error.message, /open read-only/);
    const outDir = join(temp.dir, 'ro-export');
    mkdirSync(outDir);
    const { exportLabels } = await import('../../main/pipeline/label/label-export.ts');
    const summary = await exportLabels(services.session.requireProject(), { runId, format: 'csv', out: join(outDir, 'labels.csv') });
    assert.equal(summary.images, 300);
    assert.equal(readFileSync(join(outDir, 'labels.csv'), 'utf8').trim().split('\n').length, 301);
  } finally {
    services.dispose();
    // The mount can stay busy for a moment after the last handle closes; a lazy unmount is the last resort.
    for (let attempt = 0; spawnSync('umount', [mnt]).status !== 0; attempt++) {
      if (attempt === 20) {
        spawnSync('umount', ['-l', mnt]);
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
});
