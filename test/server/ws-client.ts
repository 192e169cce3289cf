// A minimal client of the bridge for tests: calls over one WebSocket, pushed events collected.
import WebSocket from 'ws';
import type { ApiErrorShape, MethodName, ParamsOf, PushEvent, ResultOf } from '../../preload/contract/api.ts';
import type { ServerMessage } from '../../preload/contract/wire.ts';

export class CallFailed extends Error {
  constructor(readonly error: ApiErrorShape) {
    super(`${error.code}: ${error.message}`);
  }
}

export interface TestClient {
  call<M extends MethodName>(method: M, params?: ParamsOf<M>): Promise<ResultOf<M>>;
  /** Sends anything (for validation tests) and returns the raw response. */
  raw(method: unknown, params: unknown): Promise<{ result?: unknown; error?: ApiErrorShape }>;
  pushes: PushEvent[];
  /** Resolves with the first pushed event (already received or future) that matches. */
  waitFor(match: (e: PushEvent) => boolean, timeoutMs?: number): Promise<PushEvent>;
  close(): void;
}

export async function connect(port: number, headers: Record<string, string>): Promise<TestClient> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, { headers });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
  });
  let nextId = 1;
  const pending = new Map<number, (m: { result?: unknown; error?: ApiErrorShape }) => void>();
  const pushes: PushEvent[] = [];
  const waiters: Array<{ match: (e: PushEvent) => boolean; resolve: (e: PushEvent) => void }> = [];
  ws.on('message', (data) => {
    const msg = JSON.parse(data.toString()) as ServerMessage;
    if ('push' in msg) {
      pushes.push(msg.push);
      for (const w of [...waiters]) {
        if (w.match(msg.push)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(msg.push);
        }
      }
      return;
    }
    pending.get(msg.id)?.(msg as { result?: unknown; error?: ApiErrorShape });
    pending.delete(msg.id);
  });
  const raw = (method: unknown, params: unknown) =>
    new Promise<{ result?: unknown; error?: ApiErrorShape }>((resolve) => {
      const id = nextId++;
      pending.set(id, resolve);
      ws.send(JSON.stringify({ id, method, params }));
    });
  return {
    pushes,
    raw,
    async call(method, params) {
      const r = await raw(method, params);
      if (r.error) throw new CallFailed(r.error);
      return r.result as never;
    },
    waitFor(match, timeoutMs = 120_000) {
      const seen = pushes.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('timed out waiting for a pushed event')), timeoutMs);
        waiters.push({ match, resolve: (e) => (clearTimeout(timer), resolve(e)) });
      });
    },
    close: () => ws.close(),
  };
}
