// Two custom schemes: spice-app:// serves the built renderer (so the page has a real origin for CSP and
// the IPC sender check), spice-img:// serves images by id. Nothing else is reachable from the page.
import { protocol } from 'electron';
import { ELECTRON_IMAGE_SCHEME } from '../../preload/contract/wire.ts';
import type { ServiceEndpoint } from '../app/services/index.ts';
import { parseImageRef } from '../app/services/image-ref.ts';
import { readStaticFile } from '../server/static-files.ts';

export const APP_SCHEME = 'spice-app';
export const APP_HOST = 'renderer';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_START_URL = `${APP_ORIGIN}/index.html`;

/** Content-Security-Policy of the window: our scripts only, images from us and the image scheme. */
export const WINDOW_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  `img-src 'self' ${ELECTRON_IMAGE_SCHEME}: data: blob:`,
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join('; ');

/** Must run before app 'ready'. */
export function registerSchemes(): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
    { scheme: ELECTRON_IMAGE_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
  ]);
}

function text(status: number, body: string): Response {
  return new Response(body, { status, headers: { 'Content-Type': 'text/plain; charset=utf-8' } });
}

/** `images` answers spice-img:// by id (the service host's image reader). */
export function handleSchemes(rendererDir: string, images: Pick<ServiceEndpoint, 'readImage'>): void {
  protocol.handle(APP_SCHEME, async (request) => {
    const url = new URL(request.url);
    if (url.host !== APP_HOST) return text(404, 'not found');
    const file = await readStaticFile(rendererDir, url.pathname);
    if (!file) return text(404, 'not found');
    const headers: Record<string, string> = { 'Content-Type': file.mime, 'X-Content-Type-Options': 'nosniff' };
    if (file.mime.startsWith('text/html')) headers['Content-Security-Policy'] = WINDOW_CSP;
    return new Response(new Uint8Array(file.data), { status: 200, headers });
  });

  protocol.handle(ELECTRON_IMAGE_SCHEME, async (request) => {
    const url = new URL(request.url);
    const ref = parseImageRef(url.host, url.pathname.replace(/^\//, ''));
    if (!ref) return text(400, 'images are served by id only');
    const bytes = await images.readImage(ref.kind, ref.imageId).catch(() => null);
    if (!bytes) return text(404, 'no such image');
    return new Response(new Uint8Array(bytes.data), {
      status: 200,
      headers: { 'Content-Type': bytes.mime, ETag: bytes.etag, 'Cache-Control': 'no-cache', 'X-Content-Type-Options': 'nosniff' },
    });
  });
}
