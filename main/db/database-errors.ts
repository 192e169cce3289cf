// What went wrong with a project database, said in one line that names the file and what to do.
import { AppError } from '../base/errors.ts';

export type DbProblem = 'missing' | 'damaged' | 'newer' | 'read-only' | 'full' | 'io' | 'busy';

/** A missing database is not found; any other problem is a conflict with the state of the file or disk. */
export class ProjectDatabaseError extends AppError {
  constructor(
    readonly file: string,
    readonly problem: DbProblem,
    message: string,
  ) {
    super(problem === 'missing' ? 'not-found' : 'conflict', message);
    this.name = 'ProjectDatabaseError';
  }
}

/**
 * A ProjectDatabaseError for an SQLite or file-system error met while using `file`, or the error
 * itself when it is not about the database (a bug, a bad argument).
 */
export function describeDbError(file: string, err: unknown): unknown {
  if (err instanceof ProjectDatabaseError) return err;
  const code = String((err as { code?: unknown })?.code ?? '');
  const detail = err instanceof Error ? err.message : String(err);
  if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB') {
    return new ProjectDatabaseError(
      file,
      'damaged',
      `${file} is damaged (${detail}): restore it from a backup; \`sqlite3 ${file} .recover\` on a copy may rescue what is left`,
    );
  }
  if (code.startsWith('SQLITE_READONLY') || code === 'EACCES' || code === 'EPERM' || code === 'EROFS' || code === 'SQLITE_PERM') {
    return new ProjectDatabaseError(file, 'read-only', `${file} cannot be written (${detail}): copy the project folder somewhere writable or fix its permissions`);
  }
  if (code === 'SQLITE_FULL' || code === 'ENOSPC' || code === 'EDQUOT') {
    return new ProjectDatabaseError(file, 'full', `the disk holding ${file} is full (${detail}): free some space and run the command again; nothing was half-written`);
  }
  if (code.startsWith('SQLITE_IOERR') || code === 'EIO') {
    return new ProjectDatabaseError(file, 'io', `reading or writing ${file} failed (${detail}): check the disk, then run \`spice-workbench status --check\``);
  }
  if (code === 'SQLITE_CANTOPEN' || code === 'ENOENT') {
    return new ProjectDatabaseError(file, 'missing', `${file} cannot be opened (${detail}): check that the project folder exists and is readable`);
  }
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new ProjectDatabaseError(file, 'busy', `${file} stayed locked by another process for too long (${detail}): wait for it to finish and retry`);
  }
  return err;
}
