import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from '../command.ts';
import { CliError, optionalInt } from '../command.ts';
import { createServiceHost } from '../../app/service-host/host.ts';
import { DEFAULT_RENDERER_DIR, startBridgeServer } from '../../server/bridge-server.ts';
import { rendererBuilt } from '../../server/static-files.ts';

const usage = 'spice-workbench serve [--project <dir>] [--port <n>] [--dev-origin <url>]';
const REPO_DIR = fileURLToPath(new URL('../../..', import.meta.url));

export const serveCommand: Command = {
  name: 'serve',
  usage,
  summary: 'Serve the app to a browser on this machine (127.0.0.1 only, with a per-start token).',
  options: { project: { type: 'string' }, port: { type: 'string' }, 'dev-origin': { type: 'string', multiple: true } },
  async run(args) {
    const port = optionalInt(args, 'port') ?? 0;
    if (port < 0 || port > 65535) throw new CliError(`--port must be 0..65535, got ${port}`, 2);
    if (!rendererBuilt(DEFAULT_RENDERER_DIR)) {
      console.error(`the renderer is not built yet: running npm run build:renderer`);
      const build = spawnSync('npm', ['run', 'build:renderer'], { cwd: REPO_DIR, stdio: ['ignore', 'inherit', 'inherit'], shell: process.platform === 'win32' });
      if (build.status !== 0 || !rendererBuilt(DEFAULT_RENDERER_DIR)) throw new CliError('building the renderer failed (npm run build:renderer)');
    }
    // The services run in a child process at a lower CPU priority; this process only serves: the
    // renderer's files, calls and pushes forwarded, images from the host's image reader (a worker
    // thread). A SPICE run never holds it up (docs/architecture.md, "Who runs where").
    const services = createServiceHost({ platform: 'browser' });
    try {
      await services.ready;
    } catch (err) {
      await services.close();
      throw new CliError((err as Error).message);
    }
    if (typeof args.values.project === 'string') {
      const opened = await services.dispatch('projects.open', { dir: resolve(args.values.project) });
      if (!opened.ok) {
        await services.close();
        throw new CliError(opened.error.message);
      }
    }
    const server = await startBridgeServer({ services, port, extraOrigins: (args.values['dev-origin'] as string[] | undefined) ?? [] });
    console.error('SPICE Workbench is served on this machine only. Open this address in a browser (it carries the access token):');
    console.log(server.url);
    await new Promise<void>((done) => {
      const stop = () => done();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    console.error('stopping: cancelling running jobs');
    await server.close();
    await services.close();
    return 0;
  },
};
