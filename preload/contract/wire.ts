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

/**
 * Browser bridge: the WebSocket endpoint (same origin as the page). The page sends the token as a
 * subprotocol (WS_TOKEN_PROTOCOL_PREFIX + token) beside WS_PROTOCOL, which the server selects;
 * scripts may send `Authorization: Bearer <token>` instead. No cookie carries it: browsers send
 * cookies to every port of a host, so any other local server would receive it.
 */
export const WS_PATH = '/ws';
export const WS_PROTOCOL = 'spice.v1';
export const WS_TOKEN_PROTOCOL_PREFIX = 'spice.token.';
/** Browser bridge: POST { method, params } -> CallOutcome, for scripts and tests (Bearer token). */
export const HTTP_CALL_PATH = '/api/call';
/** Browser bridge: GET with the Bearer token -> BridgeSession; 401 when the token is not this server's. */
export const SESSION_PATH = '/api/session';
/** Query parameter carrying the per-start token in the printed address; the page moves it to sessionStorage. */
export const TOKEN_QUERY = 'token';
/** Query parameter of image URLs: the per-start image key (reads images, nothing else). */
export const IMAGE_KEY_QUERY = 'k';

/** What the page learns once it shows the token. */
export interface BridgeSession {
  /** Per-start key that image URLs carry: it opens /img/* only, so a leaked image URL exposes no API. */
  imageKey: string;
}

/** Custom protocol of the Electron window for images by id. */
export const ELECTRON_IMAGE_SCHEME = 'spice-img';

/**
 * URL of an image by id. Browser: same-origin /img/<kind>/<id>?k=<image key>; Electron:
 * spice-img://<kind>/<id>. There is no way to ask for an image by path.
 */
export function imageUrl(platform: PlatformMode, imageId: number, kind: 'thumb' | 'full' = 'thumb', imageKey?: string): string {
  const id = Math.trunc(imageId);
  if (platform === 'electron') return `${ELECTRON_IMAGE_SCHEME}://${kind}/${id}`;
  return imageKey ? `/img/${kind}/${id}?${IMAGE_KEY_QUERY}=${encodeURIComponent(imageKey)}` : `/img/${kind}/${id}`;
}
