// The messages between a service host (the serving thread: the browser bridge in `serve`, Electron's
// main process) and the process or worker its services run in, and between the host and its image
// reader. Plain data only: everything here crosses a structured clone (worker_threads, Electron's
// utilityProcess), never a function or a class instance.
import type { PlatformMode, PushEvent } from '../../../preload/contract/api.ts';
import type { CallResult } from '../services/index.ts';
import type { ImageBytes, ImageKind } from '../services/image-files.ts';

/** Host abilities the services may ask for (they run on the host's side: Electron's dialogs). */
export const HOST_HOOKS = ['chooseFolder', 'chooseExportFolder'] as const;
export type HostHookName = (typeof HOST_HOOKS)[number];

/** What the services are created with (createServices' options, hooks by name). */
export interface ServicesInit {
  platform: PlatformMode;
  stateDir?: string;
  /** Hooks the host offers; each call travels back to it as a 'hook' message. */
  hooks: HostHookName[];
  electronVersion?: string;
  version?: string;
  /**
   * Lower CPU priority (a nice value, 0-19) for the services when they have a process of their own (a
   * worker thread lowers only its own thread): jobs then give way to the serving side under a full CPU.
   */
  nice?: number;
}

/** Host -> services. The first message is always 'init'. */
export type ToServices =
  | { type: 'init'; init: ServicesInit }
  | { type: 'call'; id: number; method: unknown; params: unknown }
  | { type: 'hook-result'; id: number; ok: true; value: unknown }
  | { type: 'hook-result'; id: number; ok: false; message: string }
  /** Cancel running jobs, close the project, answer 'closed' and stop. */
  | { type: 'shutdown' };

/** Services -> host. */
export type FromServices =
  | { type: 'ready' }
  /** The services could not be created; the worker stops after this. */
  | { type: 'failed'; message: string }
  | { type: 'result'; id: number; outcome: CallResult }
  | { type: 'push'; event: PushEvent }
  /** The open project changed (sent before the answer of the call that changed it). */
  | { type: 'project'; dir: string | null }
  | { type: 'hook'; id: number; name: HostHookName; args: unknown[] }
  | { type: 'closed' };

/**
 * Calls that only read the project and that the image reader answers on its read-only handle while no
 * call to the services is waiting (so a page never overtakes a change asked for before it): the grid
 * keeps paging while the services run a job.
 */
export const READER_METHODS = ['clusters.images'] as const;
export type ReaderMethod = (typeof READER_METHODS)[number];

export function isReaderMethod(method: unknown): method is ReaderMethod {
  return (READER_METHODS as readonly unknown[]).includes(method);
}

/** Host -> image reader. */
export type ToImageReader =
  | { type: 'project'; dir: string | null }
  | { type: 'read'; id: number; kind: ImageKind; imageId: number }
  | { type: 'call'; id: number; method: ReaderMethod; params: unknown };

/** Image reader -> host; the bytes arrive as a plain Uint8Array (a Buffer does not survive the clone). */
export type FromImageReader =
  | { type: 'image'; id: number; image: (Omit<ImageBytes, 'data'> & { data: Uint8Array }) | null }
  /** outcome null: no project open here, the services answer instead. */
  | { type: 'result'; id: number; outcome: CallResult | null };

/**
 * One end of the services' channel, as the host sees it: a worker thread (serve, tests) or an Electron
 * utility process (main/electron/service-process.ts).
 */
export interface ServiceChannel {
  send(message: ToServices): void;
  onMessage(listener: (message: FromServices) => void): void;
  /** Called once, when the worker or process has gone, with why in words. */
  onExit(listener: (reason: string) => void): void;
  /** Stops it now (close() first asks it to stop by itself). */
  kill(): void;
}
