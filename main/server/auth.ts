// The bridge's per-start secret: given once in the address printed at start, then kept as a cookie.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { TOKEN_COOKIE, TOKEN_QUERY } from '../../preload/contract/wire.ts';

export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Cookies are shared by every port of a host, so the name carries the port: two bridges never clash. */
export function cookieName(port: number): string {
  return `${TOKEN_COOKIE}_${port}`;
}

export function sameToken(expected: string, given: string | null | undefined): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function readCookie(req: IncomingMessage, name: string): string | null {
  const header = req.headers.cookie;
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return null;
}

export type AuthSource = 'cookie' | 'query' | 'header' | null;

/** Where a valid token came from, or null when the request carries none that matches. */
export function authenticate(req: IncomingMessage, url: URL, token: string, port: number): AuthSource {
  if (sameToken(token, readCookie(req, cookieName(port)))) return 'cookie';
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ') && sameToken(token, auth.slice(7).trim())) return 'header';
  if (sameToken(token, url.searchParams.get(TOKEN_QUERY))) return 'query';
  return null;
}

export function sessionCookie(port: number, token: string): string {
  return `${cookieName(port)}=${token}; HttpOnly; SameSite=Strict; Path=/`;
}
