// The IPC side of the contract: one invoke channel carrying { method, params }. Only types come from
// Electron here, so the sender check and the validation are testable with a fake event in plain Node.
import type { IpcMainInvokeEvent } from 'electron';
import type { CallOutcome } from '../../preload/contract/wire.ts';
import type { Services } from '../app/services/index.ts';

/** The parts of an invoke event the adapter reads (a real IpcMainInvokeEvent has them all). */
export type InvokeEventLike = Pick<IpcMainInvokeEvent, 'senderFrame'> & { sender: { id: number; mainFrame?: unknown } };

export interface IpcAdapterOptions {
  /** Origins (scheme://host[:port]) the app's own pages load from, e.g. 'spice-app://renderer'. */
  allowedOrigins: readonly string[];
  /** webContents ids of the app's windows; a call from any other contents is refused. */
  isAppContents(id: number): boolean;
}

/** scheme://host[:port] of a URL; custom schemes have no WHATWG origin, so it is rebuilt by hand. */
export function originOf(url: string): string | null {
  try {
    const u = new URL(url);
    return u.host ? `${u.protocol}//${u.host}` : null;
  } catch {
    return null;
  }
}

/** Why a sender may not call, or null when it may. */
export function senderProblem(event: InvokeEventLike, options: IpcAdapterOptions): string | null {
  const frame = event.senderFrame;
  if (!frame) return 'the calling frame is gone';
  if (!options.isAppContents(event.sender.id)) return 'the call does not come from an app window';
  if (event.sender.mainFrame !== undefined && frame !== event.sender.mainFrame) return 'only the main frame may call';
  const origin = originOf(frame.url);
  if (origin === null || !options.allowedOrigins.includes(origin)) return `calls from ${origin ?? 'an unknown origin'} are refused`;
  return null;
}

/** The handler for ipcMain.handle(IPC_CALL_CHANNEL, ...): checks the sender, then dispatches (which validates). */
export function createIpcHandler(services: Pick<Services, 'dispatch'>, options: IpcAdapterOptions) {
  return async (event: InvokeEventLike, method: unknown, params: unknown): Promise<CallOutcome> => {
    const problem = senderProblem(event, options);
    if (problem) return { error: { code: 'unauthorized', message: problem } };
    const outcome = await services.dispatch(method, params);
    return outcome.ok ? { result: outcome.result } : { error: outcome.error };
  };
}
