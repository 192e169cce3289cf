// Starts the browser bridge (`spice-workbench serve`) as a child process on a free port and returns
// the address it prints (it carries the per-start token).
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { REPO_DIR } from '../../helpers/paths.ts';

export interface ServedApp {
  url: string;
  origin: string;
  child: ChildProcess;
  /** Everything the server wrote to stderr, for failure messages. */
  stderr(): string;
  stop(): Promise<void>;
}

export async function startServe(options: { home: string; project?: string; timeoutMs?: number; env?: Record<string, string> }): Promise<ServedApp> {
  const args = [join(REPO_DIR, 'bin/spice-workbench.js'), 'serve', '--port', '0'];
  if (options.project) args.push('--project', options.project);
  const child = spawn(process.execPath, args, {
    cwd: REPO_DIR,
    env: { ...process.env, SPICE_WORKBENCH_HOME: options.home, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  let out = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    err += d;
    if (process.env.SPICE_E2E_VERBOSE) process.stderr.write(`[serve] ${d}`);
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve printed no address within ${options.timeoutMs ?? 60_000} ms\n${err}`)), options.timeoutMs ?? 60_000);
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const m = /(http:\/\/127\.0\.0\.1:\d+\/\S*)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code} before printing an address\n${err}`));
    });
  });
  const origin = new URL(url).origin;
  return {
    url,
    origin,
    child,
    stderr: () => err,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await once(child, 'exit');
      clearTimeout(timer);
    },
  };
}
