// Picks the transport: the Electron preload's global when present, else a WebSocket to the browser bridge.
import { BRIDGE_GLOBAL, type ApiBridge } from '$contract/api.ts';
import { BridgeError } from './errors.ts';
import { WebSocketBridge } from './ws-bridge.ts';

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

export function createBridge(): ApiBridge {
  const injected = (window as unknown as Record<string, unknown>)[BRIDGE_GLOBAL] as ApiBridge | undefined;
  if (injected && typeof injected.call === 'function') return fromElectron(injected);
  return new WebSocketBridge(WebSocketBridge.defaultUrl());
}
