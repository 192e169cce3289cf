// Checks on a folder a caller names (an image folder to import, a labelled folder), as API errors.
import { existsSync, statSync } from 'node:fs';
import { ApiError } from './api-errors.ts';

export function requireFolder(dir: string, what: string): void {
  if (!existsSync(dir)) throw new ApiError('not-found', `${what} ${dir} does not exist`);
  if (!statSync(dir).isDirectory()) throw new ApiError('invalid-argument', `${what} ${dir} is a file, not a folder`);
}
