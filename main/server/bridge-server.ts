// The HTTP + WebSocket bridge: the same services as the desktop app, for a browser on this machine.
// Bound to 127.0.0.1 only. Every request and the WebSocket upgrade need the per-start token (query on
// the first page load, then an HttpOnly SameSite=Strict cookie); the upgrade must also come from this
// server's own origin. Images are served by id only.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { WebSocketServer, type WebSocket } from 'ws';
import type { PushEvent } from '../../preload/contract/api.ts';
import { HTTP_CALL_PATH, TOKEN_QUERY, WS_PATH, type CallRequest, type CallResponse, type PushMessage } from '../../preload/contract/wire.ts';
import type { Services } from '../app/services.ts';
import { parseImageRef, readImageBytes } from '../app/services/image-files.ts';
import { authenticate, newToken, sessionCookie } from './auth.ts';
import { readStaticFile, rendererBuilt } from './static-files.ts';

export const DEFAULT_RENDERER_DIR = fileURLToPath(new URL('../../dist/renderer', import.meta.url));
const MAX_BODY_BYTES = 16 * 1024 * 1024;
const LOOPBACK = '127.0.0.1';

export interface BridgeOptions {
  services: Services;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Folder of the built renderer. */
  rendererDir?: string;
  /** Fixed token (tests); default a fresh random one per start. */
  token?: string;
  /** Extra page origins allowed to open the WebSocket (e.g. a Vite dev server on this machine). */
  extraOrigins?: string[];
}

export interface BridgeServer {
  readonly port: number;
  readonly token: string;
  /** http://127.0.0.1:<port>/ */
  readonly origin: string;
  /** The address to open: origin with the token. */
  readonly url: string;
  close(): Promise<void>;
}

export async function startBridgeServer(options: BridgeOptions): Promise<BridgeServer> {
  const { services } = options;
  const token = options.token ?? newToken();
  const rendererDir = options.rendererDir ?? DEFAULT_RENDERER_DIR;
  let port = 0;
  const allowedOrigins = () => new Set([`http://${LOOPBACK}:${port}`, `http://localhost:${port}`, ...(options.extraOrigins ?? [])]);
  const allowedHosts = () => new Set([`${LOOPBACK}:${port}`, `localhost:${port}`]);

  const server = createServer((req, res) => {
    handleHttp(req, res).catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', `internal error: ${(err as Error).message}`);
      else res.destroy();
    });
  });

  async function handleHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // A foreign Host means a DNS-rebinding page is talking to us: refuse before anything else.
    if (!allowedHosts().has(req.headers.host ?? '')) return send(res, 421, 'text/plain; charset=utf-8', 'wrong host');
    // Judge the raw target: URL parsing would quietly fold '..' segments away.
    if (isPathLike(req.url ?? '/')) return send(res, 400, 'text/plain; charset=utf-8', 'bad path');
    const url = new URL(req.url ?? '/', `http://${LOOPBACK}:${port}`);
    const auth = authenticate(req, url, token, port);
    if (!auth) return send(res, 401, 'text/plain; charset=utf-8', 'unauthorized: open the address printed by `npm run serve` (it carries the token)');

    if (auth === 'query' && req.method === 'GET' && !url.pathname.startsWith('/img/')) {
      // Trade the token in the address for a cookie, and drop it from the address bar.
      url.searchParams.delete(TOKEN_QUERY);
      res.writeHead(303, { 'Set-Cookie': sessionCookie(port, token), Location: `${url.pathname}${url.search}`, 'Cache-Control': 'no-store' });
      res.end();
      return;
    }

    if (url.pathname === HTTP_CALL_PATH) return handleCall(req, res);
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain; charset=utf-8', 'method not allowed');

    const img = /^\/img\/([a-z]+)\/([^/]+)$/.exec(url.pathname);
    if (url.pathname.startsWith('/img/')) {
      const ref = img ? parseImageRef(img[1], img[2]) : null;
      if (!ref) return send(res, 400, 'text/plain; charset=utf-8', 'images are served by id only: /img/thumb/<id> or /img/full/<id>');
      const bytes = await readImageBytes(services.session, ref.kind, ref.imageId).catch(() => null);
      if (!bytes) return send(res, 404, 'text/plain; charset=utf-8', 'no such image');
      if (req.headers['if-none-match'] === bytes.etag) {
        res.writeHead(304, { ETag: bytes.etag, 'Cache-Control': 'private, no-cache' });
        res.end();
        return;
      }
      res.writeHead(200, {
        'Content-Type': bytes.mime,
        'Content-Length': bytes.data.byteLength,
        ETag: bytes.etag,
        'Cache-Control': 'private, no-cache',
        'X-Content-Type-Options': 'nosniff',
      });
      res.end(req.method === 'HEAD' ? undefined : bytes.data);
      return;
    }

    if (!rendererBuilt(rendererDir)) {
      return send(res, 503, 'text/plain; charset=utf-8', `the renderer is not built (${rendererDir} is missing): run npm run build:renderer`);
    }
    const file = await readStaticFile(rendererDir, url.pathname);
    if (!file) return send(res, 404, 'text/plain; charset=utf-8', 'not found');
    const headers: Record<string, string | number> = {
      'Content-Type': file.mime,
      'Content-Length': file.data.byteLength,
      'Cache-Control': file.immutable ? 'private, max-age=31536000, immutable' : 'no-cache',
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
    };
    if (file.mime.startsWith('text/html')) {
      headers['Content-Security-Policy'] = contentSecurityPolicy(port);
      headers['X-Frame-Options'] = 'DENY';
    }
    res.writeHead(200, headers);
    res.end(req.method === 'HEAD' ? undefined : file.data);
  }

  async function handleCall(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'POST') return send(res, 405, 'text/plain; charset=utf-8', 'POST { method, params }');
    const origin = req.headers.origin;
    if (origin !== undefined && !allowedOrigins().has(origin)) return send(res, 403, 'text/plain; charset=utf-8', 'forbidden origin');
    let body: unknown;
    try {
      body = JSON.parse(await readBody(req));
    } catch (err) {
      return sendJson(res, 400, { error: { code: 'invalid-argument', message: `request body is not JSON: ${(err as Error).message}` } });
    }
    const { method, params } = (typeof body === 'object' && body !== null ? body : {}) as { method?: unknown; params?: unknown };
    const outcome = await services.dispatch(method, params);
    sendJson(res, 200, outcome.ok ? { result: outcome.result } : { error: outcome.error });
  }

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_BODY_BYTES });
  server.on('upgrade', (req, socket, head) => {
    const refuse = (status: number, text: string) => {
      socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    const url = new URL(req.url ?? '/', `http://${LOOPBACK}:${port}`);
    if (url.pathname !== WS_PATH) return refuse(404, 'Not Found');
    if (!allowedHosts().has(req.headers.host ?? '')) return refuse(421, 'Misdirected Request');
    if (!authenticate(req, url, token, port)) return refuse(401, 'Unauthorized');
    // Browsers always send Origin on a WebSocket upgrade; a foreign one is another site's page.
    const origin = req.headers.origin;
    if (origin !== undefined && !allowedOrigins().has(origin)) return refuse(403, 'Forbidden');
    wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws));
  });

  const sockets = new Set<WebSocket>();
  function onConnection(ws: WebSocket): void {
    sockets.add(ws);
    const offPush = services.onPush((event: PushEvent) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ push: event } satisfies PushMessage));
    });
    ws.on('message', (raw, isBinary) => {
      void (async () => {
        let req: Partial<CallRequest>;
        try {
          if (isBinary) throw new Error('binary frames are not understood');
          req = JSON.parse(raw.toString()) as Partial<CallRequest>;
          if (typeof req !== 'object' || req === null || !Number.isSafeInteger(req.id)) throw new Error('a call needs a numeric id');
        } catch (err) {
          ws.send(JSON.stringify({ id: -1, error: { code: 'invalid-argument', message: (err as Error).message } } satisfies CallResponse));
          return;
        }
        const outcome = await services.dispatch(req.method, req.params);
        const response: CallResponse = outcome.ok ? { id: req.id!, result: outcome.result } : { id: req.id!, error: outcome.error };
        if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(response));
      })();
    });
    ws.on('close', () => {
      offPush();
      sockets.delete(ws);
    });
    ws.on('error', () => ws.terminate());
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, LOOPBACK, () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  const origin = `http://${LOOPBACK}:${port}`;

  return {
    port,
    token,
    origin: `${origin}/`,
    url: `${origin}/?${TOKEN_QUERY}=${token}`,
    close: async () => {
      for (const ws of sockets) ws.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Same policy as the desktop window: our own scripts only, images from us, the socket to us. */
export function contentSecurityPolicy(port: number): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    `connect-src 'self' ws://${LOOPBACK}:${port} ws://localhost:${port}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
    "object-src 'none'",
  ].join('; ');
}

/** Dot-dot segments (plain or percent-encoded), backslashes, NULs, or a second leading slash. */
export function isPathLike(target: string): boolean {
  const path = target.split('?')[0];
  return /(^|\/)(\.|%2e){2}(\/|%2f|$)/i.test(path) || /\\|%5c|%00|\0/i.test(path) || path.startsWith('//') || !path.startsWith('/');
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' });
  res.end(body);
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(value));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.byteLength;
      if (size > MAX_BODY_BYTES) {
        reject(new Error(`body larger than ${MAX_BODY_BYTES} bytes`));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
