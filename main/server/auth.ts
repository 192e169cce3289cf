// The bridge's credentials, both fresh per start and never in a cookie (browsers send cookies to every
// port of 127.0.0.1, so any other local server the person visits would receive them):
// - the token, printed in the address; the page moves it to sessionStorage and sends it as a Bearer
//   header (HTTP) or a WebSocket subprotocol. It opens everything.
// - the image key, handed to the page for the token; image URLs carry it. It opens /img/* only.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { WS_PROTOCOL, WS_TOKEN_PROTOCOL_PREFIX } from '../../preload/contract/wire.ts';

export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

export function sameToken(expected: string, given: string | null | undefined): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The token of an `Authorization: Bearer <token>` header, or null. */
export function bearerToken(req: IncomingMessage): string | null {
  const auth = req.headers.authorization;
  if (typeof auth !== 'string') return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
  return m ? m[1] : null;
}

/** Subprotocols a WebSocket upgrade offers (`Sec-WebSocket-Protocol`, comma-separated). */
export function offeredProtocols(req: IncomingMessage): string[] {
  const header = req.headers['sec-websocket-protocol'];
  if (typeof header !== 'string') return [];
  return header
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
}

/** The token a WebSocket upgrade carries: as a subprotocol (browsers) or a Bearer header (scripts). */
export function upgradeToken(req: IncomingMessage): string | null {
  const offered = offeredProtocols(req).find((p) => p.startsWith(WS_TOKEN_PROTOCOL_PREFIX));
  if (offered) return offered.slice(WS_TOKEN_PROTOCOL_PREFIX.length);
  return bearerToken(req);
}

/** The subprotocol the server answers with: ours when offered (a browser insists on one), else none. */
export function chooseProtocol(protocols: Set<string>): string | false {
  return protocols.has(WS_PROTOCOL) ? WS_PROTOCOL : false;
}
