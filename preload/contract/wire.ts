// How the contract travels: envelopes, channel names and image URLs, identical for IPC and WebSocket.
// Pure: no Node, no DOM, no Electron.
import type { ApiErrorShape, MethodName, PlatformMode, PushEvent } from './api.ts';

/** Client -> main. `id` pairs the response with the call (WebSocket); IPC uses invoke instead. */
export interface CallRequest {
  id: number;
  method: MethodName;
  params?: unknown;
}

/** main -> client, one per request. Exactly one of result / error. */
export type CallResponse = { id: number; result: unknown } | { id: number; error: ApiErrorShape };

/** main -> client, unsolicited. */
export interface PushMessage {
  push: PushEvent;
}

export type ServerMessage = CallResponse | PushMessage;

/** Electron IPC: ipcRenderer.invoke(CALL_CHANNEL, method, params) -> CallOutcome; pushes on PUSH_CHANNEL. */
export const IPC_CALL_CHANNEL = 'spice:call';
export const IPC_PUSH_CHANNEL = 'spice:push';
export type CallOutcome = { result: unknown } | { error: ApiErrorShape };

/** Browser bridge: the WebSocket endpoint (same origin as the page; auth by cookie). */
export const WS_PATH = '/ws';
/** Browser bridge: POST { method, params } -> CallOutcome, for scripts and tests. */
export const HTTP_CALL_PATH = '/api/call';
/** Query parameter carrying the per-start token on the first page load (then a cookie). */
export const TOKEN_QUERY = 'token';
export const TOKEN_COOKIE = 'spice_token';

/** Custom protocol of the Electron window for images by id. */
export const ELECTRON_IMAGE_SCHEME = 'spice-img';

/**
 * URL of an image by id. Browser: same-origin /img/<kind>/<id> (the auth cookie travels with it);
 * Electron: spice-img://<kind>/<id>. There is no way to ask for an image by path.
 */
export function imageUrl(platform: PlatformMode, imageId: number, kind: 'thumb' | 'full' = 'thumb'): string {
  const id = Math.trunc(imageId);
  return platform === 'electron' ? `${ELECTRON_IMAGE_SCHEME}://${kind}/${id}` : `/img/${kind}/${id}`;
}
