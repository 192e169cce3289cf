// The HTTP + WebSocket bridge: the same services as the desktop app, for a browser on this machine.
// Bound to 127.0.0.1 only; the Host must be this server (DNS rebinding). The renderer's files are
// public (the same build for everyone) and served to anyone; everything else needs a per-start
// credential (auth.ts): the API and the WebSocket the token, images the token or the image key. The
// upgrade must also come from this server's own origin. Images are served by id only. Nothing a client
// sends may take the process down: every request path answers 4xx for what it cannot parse, and
// socket errors are handled where they occur.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { WebSocketServer, type WebSocket } from 'ws';
import type { PushEvent } from '../../preload/contract/api.ts';
import {
  HTTP_CALL_PATH,
  IMAGE_KEY_QUERY,
  SESSION_PATH,
  TOKEN_QUERY,
  WS_PATH,
  type BridgeSession,
  type CallRequest,
  type CallResponse,
  type PushMessage,
} from '../../preload/contract/wire.ts';
import type { ServiceEndpoint } from '../app/services/index.ts';
import { parseImageRef } from '../app/services/image-ref.ts';
import { bearerToken, chooseProtocol, newToken, sameToken, upgradeToken } from './auth.ts';
import { hostOf, parseTarget } from './request-target.ts';
import { readStaticFile, rendererBuilt } from './static-files.ts';

export const DEFAULT_RENDERER_DIR = fileURLToPath(new URL('../../dist/renderer', import.meta.url));
export const MAX_BODY_BYTES = 16 * 1024 * 1024;
const LOOPBACK = '127.0.0.1';
const TEXT = 'text/plain; charset=utf-8';

export interface BridgeOptions {
  /** The services: a service host (`serve`: they run in a worker thread) or createServices' result. */
  services: ServiceEndpoint;
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
  /** Opens /img/* only; the page gets it from SESSION_PATH. */
  readonly imageKey: string;
  /** http://127.0.0.1:<port>/ */
  readonly origin: string;
  /** The address to open: origin with the token. */
  readonly url: string;
  close(): Promise<void>;
}

class BodyTooLarge extends Error {}

export async function startBridgeServer(options: BridgeOptions): Promise<BridgeServer> {
  const { services } = options;
  const token = options.token ?? newToken();
  const imageKey = newToken();
  const rendererDir = options.rendererDir ?? DEFAULT_RENDERER_DIR;
  let port = 0;
  let origins = new Set<string>();
  let hosts = new Set<string>();
  const base = () => `http://${LOOPBACK}:${port}`;

  const server = createServer((req, res) => {
    // A client that goes away mid-response must not surface as an unhandled error.
    res.on('error', () => res.destroy());
    handleHttp(req, res).catch((err: unknown) => {
      if (!res.headersSent && !res.destroyed) send(res, 500, TEXT, `internal error: ${(err as Error).message}`);
      else res.destroy();
    });
  });
  // Malformed requests and resets before a request is parsed: answer 400 where the socket can still
  // take it, never throw.
  server.on('clientError', (_err, socket: Duplex) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    else socket.destroy();
  });

  async function handleHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // A foreign Host means a DNS-rebinding page is talking to us: refuse before anything else.
    if (!hosts.has(hostOf(req.headers.host))) return send(res, 421, TEXT, 'wrong host');
    // Judge the raw target: URL parsing would quietly fold '..' segments away.
    const url = parseTarget(req.url, base());
    if (!url) return send(res, 400, TEXT, 'bad path');
    const hasToken = sameToken(token, bearerToken(req));

    if (url.pathname === HTTP_CALL_PATH) return hasToken ? handleCall(req, res) : unauthorized(res);
    if (url.pathname === SESSION_PATH) {
      if (req.method !== 'GET') return send(res, 405, TEXT, 'GET with the token as a Bearer header');
      if (!hasToken) return unauthorized(res);
      const session: BridgeSession = { imageKey };
      return sendJson(res, 200, session);
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, TEXT, 'method not allowed');

    if (url.pathname.startsWith('/img/')) {
      if (!hasToken && !sameToken(imageKey, url.searchParams.get(IMAGE_KEY_QUERY))) return unauthorized(res);
      const img = /^\/img\/([a-z]+)\/([^/]+)$/.exec(url.pathname);
      const ref = img ? parseImageRef(img[1], img[2]) : null;
      if (!ref) return send(res, 400, TEXT, 'images are served by id only: /img/thumb/<id> or /img/full/<id>');
      const bytes = await services.readImage(ref.kind, ref.imageId).catch(() => null);
      if (!bytes) return send(res, 404, TEXT, 'no such image');
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
        'Referrer-Policy': 'no-referrer',
      });
      res.end(req.method === 'HEAD' ? undefined : bytes.data);
      return;
    }
    if (url.pathname.startsWith('/api/') || url.pathname === WS_PATH) return send(res, 404, TEXT, 'not found');

    // The renderer: public files. The page reads the token from its address (?token=) itself.
    if (!rendererBuilt(rendererDir)) {
      return send(res, 503, TEXT, `the renderer is not built (${rendererDir} is missing): run npm run build:renderer`);
    }
    const file = await readStaticFile(rendererDir, url.pathname);
    if (!file) return send(res, 404, TEXT, 'not found');
    const headers: Record<string, string | number> = {
      'Content-Type': file.mime,
      'Content-Length': file.data.byteLength,
      'Cache-Control': file.immutable ? 'private, max-age=31536000, immutable' : 'no-store',
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
    if (req.method !== 'POST') return send(res, 405, TEXT, 'POST { method, params }');
    const origin = req.headers.origin;
    if (origin !== undefined && !origins.has(origin)) return send(res, 403, TEXT, 'forbidden origin');
    let body: unknown;
    try {
      body = JSON.parse(await readBody(req));
    } catch (err) {
      if (err instanceof BodyTooLarge) {
        res.setHeader('Connection', 'close');
        return sendJson(res, 413, { error: { code: 'invalid-argument', message: err.message } });
      }
      return sendJson(res, 400, { error: { code: 'invalid-argument', message: `request body is not JSON: ${(err as Error).message}` } });
    }
    const { method, params } = (typeof body === 'object' && body !== null ? body : {}) as { method?: unknown; params?: unknown };
    const outcome = await services.dispatch(method, params);
    sendJson(res, 200, outcome.ok ? { result: outcome.result } : { error: outcome.error });
  }

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_BODY_BYTES, handleProtocols: chooseProtocol });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // The HTTP server lets go of the socket here: a reset from now on is ours to handle.
    socket.on('error', () => socket.destroy());
    try {
      upgrade(req, socket, head);
    } catch {
      refuse(socket, 400, 'Bad Request');
    }
  });

  function upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = parseTarget(req.url, base());
    if (!url) return refuse(socket, 400, 'Bad Request');
    if (url.pathname !== WS_PATH) return refuse(socket, 404, 'Not Found');
    if (!hosts.has(hostOf(req.headers.host))) return refuse(socket, 421, 'Misdirected Request');
    if (!sameToken(token, upgradeToken(req))) return refuse(socket, 401, 'Unauthorized');
    // Browsers always send Origin on a WebSocket upgrade; a foreign one is another site's page.
    const origin = req.headers.origin;
    if (origin !== undefined && !origins.has(origin)) return refuse(socket, 403, 'Forbidden');
    wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws));
  }

  // One listener on the services for all sockets (not one each: no listener pile-up, no warning).
  const sockets = new Set<WebSocket>();
  const offPush = services.onPush((event: PushEvent) => {
    if (sockets.size === 0) return;
    const text = JSON.stringify({ push: event } satisfies PushMessage);
    for (const ws of sockets) if (ws.readyState === ws.OPEN) ws.send(text);
  });

  function onConnection(ws: WebSocket): void {
    sockets.add(ws);
    ws.on('message', (raw, isBinary) => {
      void (async () => {
        let req: Partial<CallRequest>;
        try {
          if (isBinary) throw new Error('binary frames are not understood');
          req = JSON.parse(raw.toString()) as Partial<CallRequest>;
          if (typeof req !== 'object' || req === null || !Number.isSafeInteger(req.id)) throw new Error('a call needs a numeric id');
        } catch (err) {
          if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ id: -1, error: { code: 'invalid-argument', message: (err as Error).message } } satisfies CallResponse));
          return;
        }
        const outcome = await services.dispatch(req.method, req.params);
        const response: CallResponse = outcome.ok ? { id: req.id!, result: outcome.result } : { id: req.id!, error: outcome.error };
        if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(response));
      })().catch(() => ws.terminate());
    });
    ws.on('close', () => sockets.delete(ws));
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
  origins = new Set([`http://${LOOPBACK}:${port}`, `http://localhost:${port}`, ...(options.extraOrigins ?? [])]);
  hosts = new Set([`${LOOPBACK}:${port}`, `localhost:${port}`]);
  const origin = base();

  return {
    port,
    token,
    imageKey,
    origin: `${origin}/`,
    url: `${origin}/?${TOKEN_QUERY}=${token}`,
    close: async () => {
      offPush();
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

export { isPathLike } from './request-target.ts';

function refuse(socket: Duplex, status: number, text: string): void {
  if (socket.writable) socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  else socket.destroy();
}

function unauthorized(res: ServerResponse): void {
  send(res, 401, TEXT, 'unauthorized: open the address printed by `spice-workbench serve` (it carries the token)');
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' });
  res.end(body);
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(value));
}

/** The body as text; BodyTooLarge (-> 413) past MAX_BODY_BYTES, judged by Content-Length first. */
function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > MAX_BODY_BYTES) {
      req.resume();
      reject(new BodyTooLarge(`the body is larger than ${MAX_BODY_BYTES} bytes`));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      if (over) return;
      size += c.byteLength;
      if (size > MAX_BODY_BYTES) {
        over = true;
        chunks.length = 0;
        reject(new BodyTooLarge(`the body is larger than ${MAX_BODY_BYTES} bytes`));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
