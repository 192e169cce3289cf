// The browser transport: one WebSocket to the local bridge, calls paired with responses by id,
// pushes fanned out to subscribers. Calls made before the first connection wait for it. When the
// connection drops, calls in flight and new calls fail at once with a 'disconnected' error (the UI shows
// it) rather than wait unseen; the bridge reconnects with backoff. A server that answers but refuses
// the token was restarted (a new token each start): the state becomes 'restarted' and the page must be
// opened from the new address.
import type { ApiBridge, MethodName, ParamsOf, PushEvent, ResultOf } from '$contract/api.ts';
import { imageUrl, WS_PATH, WS_PROTOCOL, WS_TOKEN_PROTOCOL_PREFIX, type CallRequest, type ServerMessage } from '$contract/wire.ts';
import { checkSession, type SessionCheck } from './credentials.ts';
import { BridgeError } from './errors.ts';

/**
 * 'connecting': the first connection; 'open'; 'reconnecting': lost, retrying; 'restarted': the server
 * now refuses this page's token (it was restarted); 'closed': closed by the page.
 */
export type ConnectionState = 'connecting' | 'open' | 'reconnecting' | 'restarted' | 'closed';

interface Pending {
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
  method: string;
}

export interface WebSocketBridgeOptions {
  /** The per-start token (null: a development proxy adds it). */
  token: string | null;
  /** Key image URLs carry (from the session check). */
  imageKey: string | null;
  /** How to ask the server whether it still takes the token (default: GET /api/session). */
  check?: (token: string | null) => Promise<SessionCheck>;
}

const FIRST_RETRY_MS = 250;
const MAX_RETRY_MS = 5000;

export const RESTARTED_MESSAGE = 'the workbench server was restarted and no longer accepts this page: open the address it printed (with ?token=…) again';

export class WebSocketBridge implements ApiBridge {
  readonly platform = 'browser' as const;
  private socket: WebSocket | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly queue: CallRequest[] = [];
  private readonly listeners = new Set<(event: PushEvent) => void>();
  private readonly stateListeners = new Set<(state: ConnectionState) => void>();
  private retryMs = FIRST_RETRY_MS;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly token: string | null;
  private readonly imageKey: string | null;
  private readonly check: (token: string | null) => Promise<SessionCheck>;
  state: ConnectionState = 'connecting';

  constructor(
    private readonly url: string,
    options: WebSocketBridgeOptions,
  ) {
    this.token = options.token;
    this.imageKey = options.imageKey;
    this.check = options.check ?? checkSession;
    this.connect();
  }

  /** ws(s)://<same host>/ws: the token travels as a subprotocol, never in the address. */
  static defaultUrl(loc: Location = window.location): string {
    const scheme = loc.protocol === 'https:' ? 'wss:' : 'ws:';
    return `${scheme}//${loc.host}${WS_PATH}`;
  }

  call<M extends MethodName>(method: M, ...params: undefined extends ParamsOf<M> ? [params?: ParamsOf<M>] : [params: ParamsOf<M>]): Promise<ResultOf<M>> {
    const id = this.nextId++;
    const request: CallRequest = params[0] === undefined ? { id, method } : { id, method, params: params[0] };
    if (this.state !== 'open' && this.state !== 'connecting') return Promise.reject(this.notSent(method));
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
    return imageUrl('browser', imageId, kind, this.imageKey ?? undefined);
  }

  close(): void {
    this.setState('closed');
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.socket?.close();
  }

  private notSent(method: string): BridgeError {
    const message =
      this.state === 'restarted'
        ? `${method} was not sent: ${RESTARTED_MESSAGE}`
        : `${method} was not sent: the connection to the workbench server is lost (reconnecting…); try again when it is back`;
    return new BridgeError({ code: 'disconnected', message });
  }

  private setState(state: ConnectionState): void {
    if (this.state === state) return;
    this.state = state;
    for (const l of this.stateListeners) l(state);
  }

  private connect(): void {
    if (this.state === 'closed' || this.state === 'restarted') return;
    const protocols = this.token ? [WS_PROTOCOL, `${WS_TOKEN_PROTOCOL_PREFIX}${this.token}`] : [WS_PROTOCOL];
    const socket = new WebSocket(this.url, protocols);
    this.socket = socket;
    socket.onopen = () => {
      this.retryMs = FIRST_RETRY_MS;
      this.setState('open');
      for (const req of this.queue.splice(0)) socket.send(JSON.stringify(req));
    };
    socket.onmessage = (e) => this.receive(e.data);
    socket.onclose = () => {
      if (this.socket !== socket) return;
      this.socket = null;
      if (this.state !== 'closed') this.setState('reconnecting');
      this.failAll();
      this.scheduleRetry();
    };
  }

  /** Calls in flight may or may not have run: fail them rather than resend a change twice. */
  private failAll(): void {
    const unsent = new Set(this.queue.splice(0).map((q) => q.id));
    for (const [id, p] of this.pending) {
      const err = unsent.has(id)
        ? this.notSent(p.method)
        : new BridgeError({ code: 'disconnected', message: `the connection to the workbench server was lost during ${p.method}: it may or may not have been applied` });
      p.reject(err);
    }
    this.pending.clear();
  }

  private scheduleRetry(): void {
    if (this.state === 'closed' || this.state === 'restarted') return;
    const wait = this.retryMs;
    this.retryMs = Math.min(MAX_RETRY_MS, this.retryMs * 2);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.check(this.token).then((result) => {
        if (this.state === 'closed') return;
        if (!result.ok && result.reason === 'refused') this.setState('restarted');
        else if (!result.ok) this.scheduleRetry();
        else this.connect();
      });
    }, wait);
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
