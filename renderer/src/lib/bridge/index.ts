// Picks the transport: the Electron preload's global when present, else a WebSocket to the browser bridge.
import { BRIDGE_GLOBAL, type ApiBridge } from '$contract/api.ts';
import { checkSession, forgetToken, takeToken } from './credentials.ts';
import { BridgeError } from './errors.ts';
import { RESTARTED_MESSAGE, WebSocketBridge } from './ws-bridge.ts';

export { BridgeError, isBridgeError } from './errors.ts';
export { WebSocketBridge, type ConnectionState } from './ws-bridge.ts';

/** Wraps the preload's bridge so rejected calls carry `code` the same way as over WebSocket. */
function fromElectron(raw: ApiBridge): ApiBridge {
  return {
    platform: 'electron',
    call: ((method: string, params?: unknown) =>
      (raw.call as (m: string, p?: unknown) => Promise<unknown>)(method, params).catch((err: unknown) => {
        if (err instanceof BridgeError) throw err;
        const e = err as { code?: unknown; message?: unknown };
        throw new BridgeError({
          code: typeof e?.code === 'string' ? (e.code as BridgeError['code']) : 'internal',
          message: typeof e?.message === 'string' ? e.message : String(err),
        });
      })) as ApiBridge['call'],
    subscribe: (listener) => raw.subscribe(listener),
    imageUrl: (id, kind) => raw.imageUrl(id, kind),
  };
}

/** The bridge, or why the page cannot have one (said to the person as it is). */
export type BridgeStart = { ok: true; bridge: ApiBridge } | { ok: false; title: string; message: string };

export async function createBridge(): Promise<BridgeStart> {
  const injected = (window as unknown as Record<string, unknown>)[BRIDGE_GLOBAL] as ApiBridge | undefined;
  if (injected && typeof injected.call === 'function') return { ok: true, bridge: fromElectron(injected) };
  const token = takeToken();
  const checked = await checkSession(token);
  if (checked.ok) return { ok: true, bridge: new WebSocketBridge(WebSocketBridge.defaultUrl(), { token, imageKey: checked.session.imageKey }) };
  if (checked.reason === 'unreachable') {
    return {
      ok: false,
      title: 'Cannot reach the workbench server',
      message: `${checked.detail}. Is \`spice-workbench serve\` still running? Reload this page once it is.`,
    };
  }
  forgetToken();
  if (token === null) {
    return {
      ok: false,
      title: 'This page needs its access address',
      message: 'Open the address `spice-workbench serve` printed (http://127.0.0.1:<port>/?token=…): the token in it lets this page in.',
    };
  }
  return { ok: false, title: 'The workbench server was restarted', message: `${RESTARTED_MESSAGE[0].toUpperCase()}${RESTARTED_MESSAGE.slice(1)}.` };
}
