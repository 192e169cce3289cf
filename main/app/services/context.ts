// What every area's service gets: the shared session and the few things only a host can do.
import type { Session } from './session.ts';

/** Abilities of the host process; Electron fills them, a browser bridge has none of them. */
export interface HostHooks {
  /** Native folder picker; null when cancelled. */
  chooseFolder?(options: { title?: string; defaultPath?: string }): Promise<string | null>;
  /** Asks where to write a folder export; null when cancelled. */
  chooseExportFolder?(suggested: string): Promise<string | null>;
  electronVersion?: string;
  /** App version when the host knows it better than package.json (a packaged app). */
  version?: string;
}

export interface ServiceContext {
  readonly session: Session;
  readonly host: HostHooks;
}
