// Where the services run: createServices behind the service host's messages (protocol.ts). Everything
// heavy happens here, on this thread or process: the SQL, k-NN, PCA, TensorFlow.js training of SPICE's
// heads, the jobs. The serving thread (the bridge in `serve`, Electron's main process) only forwards.
//
// Started three ways, and told which by what it finds:
// - a child process with an IPC channel (process.send): `serve`, by host.ts (from the sources through
//   tsx, or the bundle dist/cli/services-worker.mjs);
// - a worker thread (worker_threads' parentPort): tests, and where a process is not wanted;
// - an Electron utility process (process.parentPort): the desktop app, from the bundle
//   dist/electron/services-process.mjs (main/electron/service-process.ts). No Electron import here.
// In a process of its own it lowers its CPU priority (init.nice) so the serving side wins the CPU.
// Imported anywhere else it does nothing.
import { readdirSync, readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort } from 'node:worker_threads';
import type { HostHooks } from '../services/context.ts';
import { createServices, type CallResult, type Services } from '../services/index.ts';
import type { FromServices, HostHookName, ServicesInit, ToServices } from './protocol.ts';

interface Port {
  /** A process of its own (its priority may be lowered whole) or a thread of the host's process. */
  kind: 'process' | 'thread';
  post(message: FromServices): void;
  listen(listener: (message: ToServices) => void): void;
  /** Sends `last` and stops once it has gone out. */
  end(code: number, last: FromServices): void;
  /** Calls `listener` when the host has gone without a word (killed): a child process's IPC closed. */
  onHostGone(listener: () => void): void;
}

/** Electron's process.parentPort in a utility process, as far as it is used here. */
interface UtilityParentPort {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (e: { data: unknown }) => void): unknown;
}

/** How long shutdown waits for cancelled jobs to record their end before closing the project. */
const JOB_WIND_DOWN_MS = 3000;

function connect(): Port | null {
  const postAndExit = (post: (m: FromServices) => void) => (code: number, last: FromServices) => {
    post(last);
    process.exit(code);
  };
  if (parentPort) {
    const port = parentPort;
    const post = (m: FromServices) => port.postMessage(m);
    // process.exit in a worker thread ends the thread only.
    return { kind: 'thread', post, listen: (l) => void port.on('message', l), end: postAndExit(post), onHostGone: () => undefined };
  }
  const utility = (process as unknown as { parentPort?: UtilityParentPort }).parentPort;
  if (utility) {
    const post = (m: FromServices) => utility.postMessage(m);
    // Electron ends its utility processes with the app.
    return { kind: 'process', post, listen: (l) => void utility.on('message', (e) => l(e.data as ToServices)), end: postAndExit(post), onHostGone: () => undefined };
  }
  if (process.send && process.connected) {
    const send = process.send.bind(process);
    return {
      kind: 'process',
      post: (m) => {
        if (process.connected) send(m);
      },
      listen: (l) => void process.on('message', (m) => l(m as ToServices)),
      end: (code, last) => {
        if (process.connected) send(last, undefined, {}, () => process.exit(code));
        else process.exit(code);
      },
      onHostGone: (l) => void process.once('disconnect', l),
    };
  }
  return null;
}

/**
 * Lowers this process's CPU priority (or only this thread's, when it is a thread of the host's
 * process): under a full CPU the serving side's threads then run first. Linux sets nice values per
 * thread, so there every thread of the process is changed (threads started later inherit it).
 */
function lowerPriority(nice: number, kind: Port['kind']): void {
  if (!(nice > 0)) return;
  try {
    if (process.platform === 'linux') {
      const threads = kind === 'process' ? readdirSync('/proc/self/task') : [readlinkSync('/proc/thread-self').split('/').pop()!];
      for (const tid of threads) setPriority(Number(tid), nice);
    } else if (kind === 'process') setPriority(nice);
  } catch {
    // A lower priority is a courtesy to the serving side, never a reason to fail.
  }
}

const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

function serve(port: Port): void {
  let services: Services | null = null;
  let reportedProject: string | null = null;
  let closing = false;
  let nextHook = 1;
  const hookWaiters = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  /** Posts a message; one that does not clone (say a function in a result) goes as its JSON, as the bridge would send it. */
  const send = (m: FromServices) => {
    try {
      port.post(m);
    } catch {
      port.post(JSON.parse(JSON.stringify(m)) as FromServices);
    }
  };

  /** Tells the host (its image reader) which project is open, before the answer of the call that changed it. */
  const reportProject = () => {
    const dir = services?.session.project?.dir ?? null;
    if (dir === reportedProject) return;
    reportedProject = dir;
    send({ type: 'project', dir });
  };

  const hostHook =
    (name: HostHookName) =>
    (...args: unknown[]) =>
      new Promise<unknown>((resolve, reject) => {
        const id = nextHook++;
        hookWaiters.set(id, { resolve, reject });
        send({ type: 'hook', id, name, args });
      });

  function hooksFor(init: ServicesInit): HostHooks {
    const hooks: HostHooks = {};
    if (init.hooks.includes('chooseFolder')) hooks.chooseFolder = hostHook('chooseFolder') as HostHooks['chooseFolder'];
    if (init.hooks.includes('chooseExportFolder')) hooks.chooseExportFolder = hostHook('chooseExportFolder') as HostHooks['chooseExportFolder'];
    if (init.electronVersion !== undefined) hooks.electronVersion = init.electronVersion;
    if (init.version !== undefined) hooks.version = init.version;
    return hooks;
  }

  async function shutdown(): Promise<void> {
    if (closing) return;
    closing = true;
    try {
      const jobs = services?.session.project?.jobs;
      jobs?.cancelAll();
      // Let cancelled jobs reach their next check and record 'cancelled' before the database closes.
      const until = Date.now() + JOB_WIND_DOWN_MS;
      while (jobs && jobs.runningJobIds.length > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 25));
      services?.dispose();
    } finally {
      // Ends this process or worker thread, whatever handles are left open.
      port.end(0, { type: 'closed' });
    }
  }

  // A host killed without closing leaves nobody to serve: stop the jobs and go too.
  port.onHostGone(() => void shutdown());

  port.listen((m) => {
    switch (m.type) {
      case 'init':
        if (services || closing) return;
        lowerPriority(m.init.nice ?? 0, port.kind);
        try {
          services = createServices({ platform: m.init.platform, stateDir: m.init.stateDir, host: hooksFor(m.init) });
        } catch (err) {
          closing = true;
          port.end(1, { type: 'failed', message: messageOf(err) });
          return;
        }
        services.onPush((event) => send({ type: 'push', event }));
        send({ type: 'ready' });
        return;
      case 'call': {
        const { id } = m;
        if (!services || closing) {
          const outcome: CallResult = { ok: false, error: { code: 'internal', message: closing ? 'the services are shutting down' : 'the services have not started' } };
          send({ type: 'result', id, outcome });
          return;
        }
        void services.dispatch(m.method, m.params).then((outcome) => {
          reportProject();
          send({ type: 'result', id, outcome });
        });
        return;
      }
      case 'hook-result': {
        const waiter = hookWaiters.get(m.id);
        if (!waiter) return;
        hookWaiters.delete(m.id);
        if (m.ok) waiter.resolve(m.value);
        else waiter.reject(new Error(m.message));
        return;
      }
      case 'shutdown':
        void shutdown();
        return;
    }
  });
}

const port = connect();
if (port) serve(port);
