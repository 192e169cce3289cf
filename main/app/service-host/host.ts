// A service host: the services run in a process of their own (a child process in `serve`, an Electron
// utility process in the desktop app; a worker thread where a process is not wanted) and the serving
// thread keeps only what it forwards: the one call channel, pushed events and the image protocol. A
// transport takes the host as it takes createServices' result (both are a ServiceEndpoint), so the
// bridge and the IPC adapter answer exactly as before.
//
// - Calls: { method, params } to the services; they validate, run and turn any failure into an error
//   shape there (services/index.ts dispatch), so an error reaches the client as it did.
// - Pushes: every PushEvent the services emit, to every listener here.
// - Images: a worker thread of the serving process (image-worker.ts) with a read-only handle on the open
//   project answers thumbnails and full images by id, and the grid's pages (READER_METHODS) while no
//   call to the services is waiting, so images and pages keep coming while the services are busy with
//   a job; the services tell the host which project is open.
// - Priority: the services lower their own CPU priority (nice 10 unless SPICE_SERVICES_NICE says
//   otherwise), so under a full CPU (a SPICE run, V8's garbage collection of its arrays) the serving
//   threads run first. With no contention the jobs run as fast as before.
// - Host hooks (Electron's folder dialogs) run here, asked for by the services.
// - close() asks the services to cancel their jobs and stop, and kills them after a grace period; a
//   process or worker that dies answers every waiting and later call with an 'internal' error saying so.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Worker } from 'node:worker_threads';
import type { PlatformMode, PushEvent } from '../../../preload/contract/api.ts';
import { spawnModuleWorker } from '../../pipeline/embed/worker-pool.ts';
import type { HostHooks } from '../services/context.ts';
import type { CallResult, ImageBytes, ImageKind, ServiceEndpoint } from '../services/index.ts';
import { HOST_HOOKS, isReaderMethod, type FromImageReader, type FromServices, type ReaderMethod, type ServiceChannel, type ToImageReader } from './protocol.ts';

export type { ServiceChannel } from './protocol.ts';

const DEFAULT_CLOSE_TIMEOUT_MS = 10_000;
/** The services' default CPU priority (nice); SPICE_SERVICES_NICE overrides it, 0 turns it off. */
export const DEFAULT_SERVICES_NICE = 10;

export interface ServiceHostOptions {
  platform: PlatformMode;
  /** App state (recent projects); default as createServices. */
  stateDir?: string;
  /** Abilities of this side (Electron's dialogs, versions); the services call back for them. */
  host?: HostHooks;
  /** Starts the services' side; default a child process on services-worker.ts. */
  spawn?: () => ServiceChannel;
  /** Lower CPU priority of the services (a nice value); default SPICE_SERVICES_NICE, else DEFAULT_SERVICES_NICE. */
  nice?: number;
  /** How long close() waits for the services to stop by themselves before killing them. */
  closeTimeoutMs?: number;
}

export interface ServiceHost extends ServiceEndpoint {
  /** Resolves when the services answer; rejects when they could not start. Calls made before wait. */
  readonly ready: Promise<void>;
  /** Why the services stopped (failed to start, crashed, closed), or null while they run. */
  readonly failure: string | null;
  /** Cancels running jobs, closes the project and stops the services and the image reader. */
  close(): Promise<void>;
}

/**
 * A child process on services-worker.ts (what `serve` uses): from the sources through tsx, or the
 * bundle's services-worker.mjs beside it (dist/cli/). A process of its own, rather than a thread, so
 * that its priority can be lowered whole (V8's garbage-collector threads included) and a crash in
 * native code takes only the services down. `entry` replaces the module (tests).
 */
export function spawnServicesProcess(entry?: URL): ServiceChannel {
  const url = entry ?? new URL('./services-worker.ts', import.meta.url);
  // What running it takes, and this process's memory limits, not its other flags (a test runner's, an
  // inspector's); NODE_OPTIONS reaches it with the environment.
  const execArgv = process.execArgv.filter((arg) => /^--(max-old-space-size|max-semi-space-size|stack-size)=/.test(arg));
  if (url.pathname.endsWith('.ts')) execArgv.push(`--import=${import.meta.resolve('tsx')}`);
  const child = fork(fileURLToPath(url), [], {
    execArgv,
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let error: string | null = null;
  child.on('error', (err: Error) => (error = err.message));
  return {
    send: (m) => {
      if (!child.connected) throw new Error('the services process is gone');
      child.send(m);
    },
    onMessage: (listener) => void child.on('message', (m) => listener(m as FromServices)),
    onExit: (listener) =>
      void child.once('exit', (code, signal) => {
        const how = signal ? `killed by ${signal}` : `exit code ${code}`;
        listener(error ? `${error}; ${how}` : how);
      }),
    kill: () => void child.kill('SIGKILL'),
  };
}

/**
 * A worker thread on services-worker.ts: from the sources through tsx, or the bundle's
 * services-worker.mjs beside it (dist/cli/; the desktop app forks its own bundle instead). `entry`
 * replaces the module (tests: one that imports services-worker.ts and adds to it).
 */
export function spawnServicesThread(entry?: URL): ServiceChannel {
  const worker = spawnModuleWorker(entry ?? new URL('./services-worker.ts', import.meta.url), undefined);
  let error: string | null = null;
  worker.on('error', (err: Error) => (error = err.message));
  return {
    send: (m) => worker.postMessage(m),
    onMessage: (listener) => void worker.on('message', listener),
    onExit: (listener) => void worker.once('exit', (code: number) => listener(error ? `${error}; exit code ${code}` : `exit code ${code}`)),
    kill: () => void worker.terminate(),
  };
}

export function createServiceHost(options: ServiceHostOptions): ServiceHost {
  const channel = options.spawn ? options.spawn() : spawnServicesProcess();
  const pending = new Map<number, (outcome: CallResult) => void>();
  const pushListeners = new Set<(e: PushEvent) => void>();
  const images = new ImageReader();
  let nextCall = 1;
  let failure: string | null = null;
  let closeRequested = false;
  let closing: Promise<void> | null = null;
  let exited = false;

  let markReady!: () => void;
  let markFailed!: (err: Error) => void;
  const ready = new Promise<void>((resolve, reject) => {
    markReady = resolve;
    markFailed = reject;
  });
  ready.catch(() => undefined); // a host nobody awaits must not raise an unhandled rejection
  let markExited!: () => void;
  const exitedPromise = new Promise<void>((resolve) => (markExited = resolve));

  /** From now on every call answers `why`. The first reason wins. */
  function stop(why: string): void {
    if (failure !== null) return;
    failure = why;
    markFailed(new Error(why));
    const outcome: CallResult = { ok: false, error: { code: 'internal', message: why } };
    for (const answer of pending.values()) answer(outcome);
    pending.clear();
  }

  channel.onMessage((m: FromServices) => {
    switch (m.type) {
      case 'ready':
        markReady();
        return;
      case 'failed':
        stop(`the services could not start: ${m.message}`);
        return;
      case 'result': {
        const answer = pending.get(m.id);
        pending.delete(m.id);
        answer?.(m.outcome);
        return;
      }
      case 'push':
        for (const listener of [...pushListeners]) {
          try {
            listener(m.event);
          } catch (err) {
            console.error(`a push listener failed: ${(err as Error).message}`);
          }
        }
        return;
      case 'project':
        images.setProject(m.dir);
        return;
      case 'hook':
        void runHook(m);
        return;
      case 'closed':
        return;
    }
  });

  channel.onExit((reason) => {
    exited = true;
    markExited();
    if (!closeRequested && failure === null) console.error(`spice-workbench: the services stopped unexpectedly (${reason})`);
    stop(closeRequested ? 'the services are closed' : `the services stopped unexpectedly (${reason}): restart SPICE Workbench`);
    void images.close();
  });

  async function runHook(m: Extract<FromServices, { type: 'hook' }>): Promise<void> {
    const hook = options.host?.[m.name] as ((...args: unknown[]) => Promise<unknown>) | undefined;
    let reply: Parameters<ServiceChannel['send']>[0];
    try {
      if (!hook) throw new Error(`this host has no ${m.name}`);
      reply = { type: 'hook-result', id: m.id, ok: true, value: await hook.apply(options.host, m.args) };
    } catch (err) {
      reply = { type: 'hook-result', id: m.id, ok: false, message: err instanceof Error ? err.message : String(err) };
    }
    if (!exited) channel.send(reply);
  }

  channel.send({
    type: 'init',
    init: {
      platform: options.platform,
      stateDir: options.stateDir,
      hooks: HOST_HOOKS.filter((name) => typeof options.host?.[name] === 'function'),
      electronVersion: options.host?.electronVersion,
      version: options.host?.version,
      nice: options.nice ?? niceFromEnv() ?? DEFAULT_SERVICES_NICE,
    },
  });

  return {
    ready,
    get failure() {
      return failure;
    },
    dispatch(method, params) {
      // With a call to the services still waiting, a page goes behind it: it may read what that call changes.
      if (failure === null && isReaderMethod(method) && pending.size === 0 && images.hasProject()) {
        return images.call(method, params).then((outcome) => outcome ?? toServices(method, params));
      }
      return toServices(method, params);
    },
    onPush(listener) {
      pushListeners.add(listener);
      return () => void pushListeners.delete(listener);
    },
    readImage: (kind, imageId) => images.read(kind, imageId),
    close() {
      closing ??= (async () => {
        closeRequested = true;
        if (!exited) {
          try {
            channel.send({ type: 'shutdown' });
          } catch {
            // already gone: the exit follows
          }
          if (!(await settlesWithin(exitedPromise, options.closeTimeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS))) {
            channel.kill();
            await settlesWithin(exitedPromise, 5000);
          }
        }
        stop('the services are closed');
        pushListeners.clear();
        await images.close();
      })();
      return closing;
    },
  };

  function toServices(method: unknown, params: unknown): Promise<CallResult> {
    if (failure !== null) return Promise.resolve({ ok: false, error: { code: 'internal', message: failure } });
    return new Promise<CallResult>((resolve) => {
      const id = nextCall++;
      pending.set(id, resolve);
      try {
        channel.send({ type: 'call', id, method, params });
      } catch (err) {
        pending.delete(id);
        resolve({ ok: false, error: { code: 'internal', message: `the services cannot take the call: ${(err as Error).message}` } });
      }
    });
  }
}

function niceFromEnv(): number | undefined {
  const raw = process.env.SPICE_SERVICES_NICE;
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  return Number.isInteger(n) && n >= 0 && n <= 19 ? n : undefined;
}

async function settlesWithin(p: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([p.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The host's side of image-worker.ts: started when the services first report an open project. */
class ImageReader {
  private worker: Worker | null = null;
  private dir: string | null = null;
  /** Each waiting request's answer; null when the reader stopped before answering. */
  private readonly pending = new Map<number, (reply: FromImageReader | null) => void>();
  private nextId = 1;
  private closed = false;

  setProject(dir: string | null): void {
    this.dir = dir;
    if (this.closed) return;
    if (this.worker) this.post(this.worker, { type: 'project', dir });
    else if (dir !== null) this.start();
  }

  hasProject(): boolean {
    return !this.closed && this.dir !== null;
  }

  read(kind: ImageKind, imageId: number): Promise<ImageBytes | null> {
    return this.ask((id) => ({ type: 'read', id, kind, imageId })).then((reply) => {
      const image = reply?.type === 'image' ? reply.image : null;
      return image && { mime: image.mime, etag: image.etag, data: Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength) };
    });
  }

  /** A read-only call answered on the reader's handle; null when it has no project (ask the services). */
  call(method: ReaderMethod, params: unknown): Promise<CallResult | null> {
    return this.ask((id) => ({ type: 'call', id, method, params })).then((reply) => (reply?.type === 'result' ? reply.outcome : null));
  }

  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    this.worker = null;
    this.answerAll();
    if (worker) await worker.terminate();
  }

  private ask(message: (id: number) => ToImageReader): Promise<FromImageReader | null> {
    if (this.closed || this.dir === null) return Promise.resolve(null);
    const worker = this.worker ?? this.start();
    return new Promise((resolve) => {
      const id = this.nextId++;
      this.pending.set(id, resolve);
      this.post(worker, message(id));
    });
  }

  private post(worker: Worker, m: ToImageReader): void {
    worker.postMessage(m);
  }

  private start(): Worker {
    const worker = spawnModuleWorker(new URL('./image-worker.ts', import.meta.url), undefined);
    this.worker = worker;
    // Idle, it holds nothing worth keeping a process alive for.
    worker.unref();
    worker.on('message', (m: FromImageReader) => {
      const answer = this.pending.get(m.id);
      if (!answer) return;
      this.pending.delete(m.id);
      answer(m);
    });
    worker.on('error', (err: Error) => console.error(`spice-workbench: the image reader stopped: ${err.message}`));
    worker.on('exit', () => {
      // The next request starts a fresh one; what was waiting answers "no such image" (calls go to the services).
      if (this.worker === worker) this.worker = null;
      this.answerAll();
    });
    this.post(worker, { type: 'project', dir: this.dir });
    return worker;
  }

  private answerAll(): void {
    for (const answer of this.pending.values()) answer(null);
    this.pending.clear();
  }
}
