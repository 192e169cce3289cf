// A small pool of worker_threads running one module, with request/response messages matched by id.
import { Worker, type TransferListItem } from 'node:worker_threads';

/**
 * Starts a worker on a module. A .ts module (running from sources under tsx) is loaded through tsx's
 * tsImport from a tiny ESM bootstrap, because a worker does not inherit a loader registered at run time
 * and Node 20 does not apply `--import` hooks to a worker's entry module.
 */
export function spawnModuleWorker(url: URL, workerData: unknown): Worker {
  if (!url.pathname.endsWith('.ts')) return new Worker(url, { workerData });
  const api = import.meta.resolve('tsx/esm/api');
  const boot = `import { tsImport } from ${JSON.stringify(api)};\nawait tsImport(${JSON.stringify(url.href)}, ${JSON.stringify(url.href)});\n`;
  return new Worker(new URL(`data:text/javascript,${encodeURIComponent(boot)}`), { workerData });
}

type Reply<R> = { id: number; ok: true; result: R } | { id: number; ok: false; error: string } | { ready: true };

/** What a pooled worker posts once its module has loaded and it listens for requests. */
export const WORKER_READY = { ready: true } as const;

interface Slot<Q, R> {
  worker: Worker;
  pending: Map<number, { resolve: (r: R) => void; reject: (e: Error) => void; req: Q }>;
}

export class WorkerPool<Q, R> {
  private readonly slots: Array<Slot<Q, R>> = [];
  private readonly queue: Array<{ id: number; req: Q; transfer: TransferListItem[]; resolve: (r: R) => void; reject: (e: Error) => void }> = [];
  private nextId = 1;
  private failure: Error | null = null;
  private closed = false;
  private started = false;
  private readonly readyWaiters: Array<() => void> = [];

  constructor(url: URL, size: number, workerData: unknown) {
    for (let i = 0; i < Math.max(1, size); i++) {
      const slot: Slot<Q, R> = { worker: spawnModuleWorker(url, workerData), pending: new Map() };
      slot.worker.on('message', (msg: Reply<R>) => this.onReply(slot, msg));
      slot.worker.on('error', (err) => this.fail(err instanceof Error ? err : new Error(String(err))));
      slot.worker.on('exit', (code) => {
        if (!this.closed) this.fail(new Error(`a decode worker stopped unexpectedly (exit code ${code})`));
      });
      this.slots.push(slot);
    }
  }

  get size(): number {
    return this.slots.length;
  }

  /** Whether a worker has loaded its module (starting one takes 0.2-0.3 s: libvips, or tsx from sources). */
  get ready(): boolean {
    return this.started;
  }

  /** Why the pool stopped working (a worker failed to start or crashed), or null. */
  get error(): Error | null {
    return this.failure;
  }

  /** Calls `listener` once, when the first worker is ready (at once if one is). */
  onceReady(listener: () => void): void {
    if (this.ready) listener();
    else this.readyWaiters.push(listener);
  }

  /**
   * Sends a request at once to the worker with the fewest outstanding ones; a worker works through its
   * requests in order. Sending ahead (not when a worker is idle) keeps workers busy while this thread is
   * blocked, e.g. in a synchronous inference call.
   */
  run(req: Q, transfer: TransferListItem[] = []): Promise<R> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closed) return Promise.reject(new Error('worker pool is closed'));
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ id: this.nextId++, req, transfer, resolve, reject });
      this.dispatch();
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const err = new Error('worker pool closed');
    for (const q of this.queue.splice(0)) q.reject(err);
    for (const s of this.slots) for (const p of s.pending.values()) p.reject(err);
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      const job = this.queue.shift()!;
      const slot = this.slots.reduce((best, s) => (s.pending.size < best.pending.size ? s : best));
      slot.pending.set(job.id, { resolve: job.resolve, reject: job.reject, req: job.req });
      slot.worker.postMessage({ id: job.id, req: job.req }, job.transfer);
    }
  }

  private onReply(slot: Slot<Q, R>, msg: Reply<R>): void {
    if ('ready' in msg) {
      this.started = true;
      for (const listener of this.readyWaiters.splice(0)) listener();
      return;
    }
    const p = slot.pending.get(msg.id);
    if (!p) return;
    slot.pending.delete(msg.id);
    if (msg.ok) p.resolve(msg.result);
    else p.reject(new Error(msg.error));
  }

  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    for (const q of this.queue.splice(0)) q.reject(err);
    for (const s of this.slots) {
      for (const p of s.pending.values()) p.reject(err);
      s.pending.clear();
    }
  }
}
