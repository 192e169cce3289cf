// The sandboxed preload: exposes the contract to the page as window.spiceWorkbench, and nothing else.
// Bundled to CommonJS by `npm run build:main` (a sandboxed preload cannot load ES modules).
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { BRIDGE_GLOBAL, type ApiBridge, type PushEvent } from './contract/api.ts';
import { IPC_CALL_CHANNEL, IPC_PUSH_CHANNEL, imageUrl, type CallOutcome } from './contract/wire.ts';

/**
 * A failed call rejects with a plain { name, code, message } object: an Error crossing the context
 * bridge keeps only its message, and the page needs the code.
 */
function callError(code: string, message: string): { name: 'ApiError'; code: string; message: string } {
  return { name: 'ApiError', code, message };
}

const bridge: ApiBridge = {
  platform: 'electron',
  async call(method: string, params?: unknown) {
    const outcome = (await ipcRenderer.invoke(IPC_CALL_CHANNEL, method, params)) as CallOutcome;
    if ('error' in outcome) throw callError(outcome.error.code, outcome.error.message);
    return outcome.result;
  },
  subscribe(listener: (event: PushEvent) => void) {
    // The page never sees the IpcRendererEvent (it would expose ipcRenderer.sender).
    const handler = (_e: IpcRendererEvent, event: PushEvent) => listener(event);
    ipcRenderer.on(IPC_PUSH_CHANNEL, handler);
    return () => {
      ipcRenderer.removeListener(IPC_PUSH_CHANNEL, handler);
    };
  },
  imageUrl: (imageId: number, kind: 'thumb' | 'full' = 'thumb') => imageUrl('electron', imageId, kind),
} as ApiBridge;

contextBridge.exposeInMainWorld(BRIDGE_GLOBAL, bridge);
