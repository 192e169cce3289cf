// For the bridge's benchmarks: a copy of a project's database (the original is never written), with a
// finished run (k-means, k = 10, when it has none), served by the real `spice-workbench serve` process.
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultRun } from '../main/pipeline/cluster/default-run.ts';
import { runKmeans } from '../main/pipeline/cluster/run-kmeans.ts';
import { openProject, projectDbPath } from '../main/project/project.ts';

const REPO = fileURLToPath(new URL('..', import.meta.url));

export interface ServedCopy {
  /** The copy's project folder and the app home the server uses (both temporary: remove when done). */
  work: string;
  home: string;
  runId: number;
  /** The run's k. */
  clusters: number;
  /** Images with a thumbnail, by id. */
  imageIds: number[];
  child: ChildProcess;
  port: number;
  token: string;
}

export async function serveProjectCopy(projectDir: string, name: string): Promise<ServedCopy> {
  const source = projectDbPath(resolve(projectDir));
  if (!existsSync(source)) throw new Error(`no project at ${projectDir}`);
  const work = mkdtempSync(join(tmpdir(), `spice-bench-${name}-`));
  const home = mkdtempSync(join(tmpdir(), 'spice-bench-home-'));
  // The database and its WAL, if any.
  for (const suffix of ['', '-wal']) if (existsSync(source + suffix)) copyFileSync(source + suffix, projectDbPath(work) + suffix);
  const project = openProject(work);
  let run = defaultRun(project.db);
  if (!run) {
    console.error('no finished run: clustering the copy with k-means (k=10) first');
    await runKmeans(project, { k: 10, seed: 0, restarts: 2 });
    run = defaultRun(project.db)!;
  }
  const imageIds = project.db.prepare('SELECT image_id FROM thumbnails ORDER BY image_id').pluck().all() as number[];
  project.close();
  if (imageIds.length === 0) throw new Error('the project has no thumbnails');

  const child = spawn(process.execPath, [join(REPO, 'bin/spice-workbench.js'), 'serve', '--project', work, '--port', '0'], {
    cwd: REPO,
    env: { ...process.env, SPICE_WORKBENCH_HOME: home },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let serveErr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (serveErr += d));
  // The address, with its token, from the server's stdout.
  const address = await new Promise<string>((res, rej) => {
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const m = /(http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)/.exec(out);
      if (m) res(m[1]);
    });
    child.once('exit', (code) => rej(new Error(`serve exited (${code}):\n${serveErr}`)));
  });
  const url = new URL(address);
  return { work, home, runId: run.id, clusters: run.k, imageIds, child, port: Number(url.port), token: url.searchParams.get('token')! };
}
