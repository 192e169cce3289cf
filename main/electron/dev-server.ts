// Which development server the window may load instead of the built renderer. Plain Node (no
// Electron import) so it is unit-tested. Only an unpackaged app honours it, and only an address that
// parses to http on this machine with a port and nothing else: a prefix check would let
// 'http://localhost:@evil.example/' (user 'localhost', host evil.example) through.
const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** The dev server's origin (e.g. 'http://localhost:5173'), or undefined when `raw` is not one. */
export function devServerOrigin(raw: string | undefined, packaged: boolean): string | undefined {
  if (packaged || !raw) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' || !LOCAL_HOSTS.has(url.hostname) || url.port === '') return undefined;
  if (url.username !== '' || url.password !== '') return undefined;
  if (url.pathname !== '/' || url.search !== '' || url.hash !== '') return undefined;
  return url.origin;
}

/** True when `target` (a navigation or redirect) stays on `origin`. */
export function sameOrigin(target: string, origin: string): boolean {
  try {
    const u = new URL(target);
    return u.username === '' && u.password === '' && `${u.protocol}//${u.host}` === origin;
  } catch {
    return false;
  }
}
