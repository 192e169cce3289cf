// The recently opened projects, kept as a small JSON file in the app's state folder.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { RecentProject } from '../../../preload/contract/api.ts';
import { projectExists } from '../../project/project.ts';

const MAX_RECENT = 20;
const FILE = 'recent-projects.json';

interface StoredEntry {
  dir: string;
  openedAt: number;
}

export class RecentProjects {
  private readonly file: string;

  constructor(private readonly stateDir: string) {
    this.file = join(stateDir, FILE);
  }

  list(): RecentProject[] {
    return this.read().map((e) => ({ dir: e.dir, name: basename(e.dir), openedAt: e.openedAt, exists: projectExists(e.dir) }));
  }

  touch(dir: string): void {
    const entries = this.read().filter((e) => e.dir !== dir);
    entries.unshift({ dir, openedAt: Date.now() });
    this.write(entries.slice(0, MAX_RECENT));
  }

  private read(): StoredEntry[] {
    if (!existsSync(this.file)) return [];
    try {
      const data = JSON.parse(readFileSync(this.file, 'utf8')) as unknown;
      if (!Array.isArray(data)) return [];
      return data.filter((e): e is StoredEntry => typeof e === 'object' && e !== null && typeof e.dir === 'string' && typeof e.openedAt === 'number');
    } catch {
      // A damaged list is not worth failing over: it only remembers folders.
      return [];
    }
  }

  private write(entries: StoredEntry[]): void {
    mkdirSync(this.stateDir, { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(entries, null, 2));
    renameSync(tmp, this.file);
  }
}

/** Where the app keeps its own state when no Electron userData folder is given. */
export function defaultStateDir(): string {
  if (process.env.SPICE_WORKBENCH_HOME) return process.env.SPICE_WORKBENCH_HOME;
  const home = process.env.HOME ?? process.env.USERPROFILE ?? '.';
  if (process.platform === 'win32') return join(process.env.APPDATA ?? join(home, 'AppData', 'Roaming'), 'spice-workbench');
  if (process.platform === 'darwin') return join(home, 'Library', 'Application Support', 'spice-workbench');
  return join(process.env.XDG_CONFIG_HOME ?? join(home, '.config'), 'spice-workbench');
}
