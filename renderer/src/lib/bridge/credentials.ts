// The page's credential for the browser bridge. The address `serve` prints carries the token once
// (?token=...); the page moves it to sessionStorage (this origin, this tab only) and out of the address
// bar, and from then on sends it itself: never as a cookie, which browsers would also send to every
// other server on 127.0.0.1.
import { SESSION_PATH, TOKEN_QUERY, type BridgeSession } from '$contract/wire.ts';

const STORAGE_KEY = 'spice.bridge.token';

/** Takes the token from the address (removing it there) or from this tab's storage. */
export function takeToken(loc: Location = window.location, history: History = window.history, storage: Storage = window.sessionStorage): string | null {
  const params = new URLSearchParams(loc.search);
  const fromUrl = params.get(TOKEN_QUERY);
  if (fromUrl) {
    storage.setItem(STORAGE_KEY, fromUrl);
    params.delete(TOKEN_QUERY);
    const rest = params.toString();
    history.replaceState(history.state, '', `${loc.pathname}${rest ? `?${rest}` : ''}${loc.hash}`);
    return fromUrl;
  }
  return storage.getItem(STORAGE_KEY);
}

export function forgetToken(storage: Storage = window.sessionStorage): void {
  storage.removeItem(STORAGE_KEY);
}

export type SessionCheck = { ok: true; session: BridgeSession } | { ok: false; reason: 'refused' | 'unreachable'; detail: string };

/**
 * Asks the server whether it takes this token: 'refused' means a server answers but not for this
 * token (it was restarted with a new one), 'unreachable' that none answers.
 */
export async function checkSession(token: string | null): Promise<SessionCheck> {
  let res: Response;
  try {
    res = await fetch(SESSION_PATH, { headers: token ? { Authorization: `Bearer ${token}` } : {}, cache: 'no-store' });
  } catch (err) {
    return { ok: false, reason: 'unreachable', detail: err instanceof Error ? err.message : String(err) };
  }
  if (res.status === 401) return { ok: false, reason: 'refused', detail: 'the server does not accept this page’s access token' };
  if (!res.ok) return { ok: false, reason: 'unreachable', detail: `the server answered ${res.status}` };
  return { ok: true, session: (await res.json()) as BridgeSession };
}
