// Reading what a request asks for without ever throwing: anything odd is refused with a 4xx by the caller.

/** Dot-dot segments (plain or percent-encoded), backslashes, NULs, or a second leading slash. */
export function isPathLike(target: string): boolean {
  const path = target.split('?')[0];
  return /(^|\/)(\.|%2e){2}(\/|%2f|$)/i.test(path) || /\\|%5c|%00|\0/i.test(path) || path.startsWith('//') || !path.startsWith('/');
}

/**
 * The URL of a request target in origin form ('/path?query'), or null for anything else: an absolute
 * or authority form, '..' segments, a target URL parsing would reject or quietly rewrite.
 */
export function parseTarget(target: string | undefined, origin: string): URL | null {
  if (typeof target !== 'string' || target.length === 0 || target.length > 8192 || isPathLike(target)) return null;
  try {
    const url = new URL(target, origin);
    return url.origin === origin ? url : null;
  } catch {
    return null;
  }
}

/** The Host header, lower-cased (host names are case-insensitive), or '' when absent or repeated. */
export function hostOf(header: string | string[] | undefined): string {
  return typeof header === 'string' ? header.trim().toLowerCase() : '';
}

/** decodeURIComponent that answers null instead of throwing on a bad escape. */
export function safeDecode(text: string): string | null {
  try {
    return decodeURIComponent(text);
  } catch {
    return null;
  }
}
