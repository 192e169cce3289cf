// The browser transport: one WebSocket to the local bridge, calls paired with responses by id,
// pushes fanned out to subscribers. Reconnects with backoff; calls made while disconnected wait.
import type { ApiBridge, MethodName, ParamsOf, PushEvent, ResultOf } from '$contract/api.ts';
import { imageUrl, TOKEN_QUERY, WS_PATH, type CallRequest, type ServerMessage } from '$contract/wire.ts';
import { BridgeError } from './errors.ts';

export type ConnectionState = 'connecting' | 'open' | 'closed';

interface Pending {
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
  method: string;
}

export class WebSocketBridge implements ApiBridge {
  readonly platform = 'browser' as const;
  private socket: WebSocket | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly queue: CallRequest[] = [];
  private readonly listeners = new Set<(event: PushEvent) => void>();
  private readonly stateListeners = new Set<(state: ConnectionState) => void>();
  private retryMs = 250;
  private closedByUs = false;
  state: ConnectionState = 'connecting';

  constructor(private readonly url: string) {
    this.connect();
  }

  /** ws(s)://<same host>/ws, with the page's one-time token when the URL still carries it. */
  static defaultUrl(loc: Location = window.location): string {
    const scheme = loc.protocol === 'https:' ? 'wss:' : 'ws:';
    const token = new URLSearchParams(loc.search).get(TOKEN_QUERY);
    return `${scheme}//${loc.host}${WS_PATH}${token ? `?${TOKEN_QUERY}=${encodeURIComponent(token)}` : ''}`;
  }

  call<M extends MethodName>(
    method: M,
    ...params: undefined extends ParamsOf<M> ? [params?: ParamsOf<M>] : [params: ParamsOf<M>]
  ): Promise<ResultOf<M>> {
    const id = this.nextId++;
    const request: CallRequest = params[0] === undefined ? { id, method } : { id, method, params: params[0] };
    return new Promise<ResultOf<M>>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, method });
      if (this.socket && this.socket.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(request));
      else this.queue.push(request);
    });
  }

  subscribe(listener: (event: PushEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  onState(listener: (state: ConnectionState) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  imageUrl(imageId: number, kind: 'thumb' | 'full' = 'thumb'): string {
    return imageUrl('browser', imageId, kind);
  }

  close(): void {
    this.closedByUs = true;
    this.socket?.close();
  }

  private setState(state: ConnectionState): void {
    this.state = state;
    for (const l of this.stateListeners) l(state);
  }

  private connect(): void {
    this.setState('connecting');
    const socket = new WebSocket(this.url);
    this.socket = socket;
    socket.onopen = () => {
      this.retryMs = 250;
      this.setState('open');
      for (const req of this.queue.splice(0)) socket.send(JSON.stringify(req));
    };
    socket.onmessage = (e) => this.receive(e.data);
    socket.onclose = () => {
      if (this.socket !== socket) return;
      this.socket = null;
      // Calls in flight may or may not have run: fail them rather than resend a mutation twice.
      for (const [id, p] of this.pending) {
        if (!this.queue.some((q) => q.id === id)) {
          p.reject(new BridgeError({ code: 'internal', message: `connection to the workbench lost during ${p.method}` }));
          this.pending.delete(id);
        }
      }
      this.setState('closed');
      if (this.closedByUs) return;
      setTimeout(() => this.connect(), this.retryMs);
      this.retryMs = Math.min(5000, this.retryMs * 2);
    };
  }

  private receive(data: unknown): void {
    if (typeof data !== 'string') return;
    let msg: ServerMessage;
    try {
      msg = JSON.parse(data) as ServerMessage;
    } catch {
      console.warn('bridge: message that is not JSON ignored');
      return;
    }
    if ('push' in msg) {
      for (const l of this.listeners) {
        try {
          l(msg.push);
        } catch (err) {
          console.error('bridge: push listener failed', err);
        }
      }
      return;
    }
    const p = this.pending.get(msg.id);
    if (!p) return;
    this.pending.delete(msg.id);
    if ('error' in msg) p.reject(new BridgeError(msg.error));
    else p.resolve(msg.result);
  }
}
