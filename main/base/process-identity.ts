// Who runs a job: pid, the kernel's start time of that process and the machine. A pid alone is not
// enough: after a kill the same pid soon belongs to another process, and the job would look alive.
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';

export interface ProcessIdentity {
  pid: number;
  /** Start time in clock ticks since boot (Linux); null where the platform does not tell us. */
  start: string | null;
  host: string;
}

let self: ProcessIdentity | null = null;

export function currentProcess(): ProcessIdentity {
  self ??= { pid: process.pid, start: processStart(process.pid), host: hostname() };
  return self;
}

/** Field 22 of /proc/<pid>/stat; null when the process does not exist or there is no /proc. */
export function processStart(pid: number): string | null {
  if (process.platform !== 'linux' || !Number.isSafeInteger(pid) || pid <= 0) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // The command name (field 2) is in parentheses and may hold spaces: count from the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19] ?? null;
  } catch {
    return null;
  }
}

function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Whether the process recorded for a job still runs. A job recorded on another machine, or by a
 * process whose pid now belongs to a process started at another time, is gone. Without a recorded
 * start time (rows from before migration 008, or platforms without /proc) only the pid is checked,
 * and our own pid counts as gone: a process never outlives itself to open the project again.
 */
export function processAlive(recorded: { pid: number | null; start: string | null; host: string | null }): boolean {
  if (recorded.pid === null) return false;
  const me = currentProcess();
  if (recorded.host !== null && recorded.host !== me.host) return false;
  if (recorded.start !== null) {
    if (recorded.pid === me.pid) return recorded.start === me.start;
    const now = processStart(recorded.pid);
    if (now !== null) return now === recorded.start;
    return process.platform === 'linux' ? false : pidExists(recorded.pid);
  }
  if (recorded.pid === me.pid) return false;
  return pidExists(recorded.pid);
}
