// The error every service throws on purpose, and the one place where the errors of the layers below
// become API error codes; anything else reaching a transport is 'internal'.
import type { ApiErrorCode, ApiErrorShape } from '../../../preload/contract/api.ts';
import { AppError, type ErrorKind } from '../../base/errors.ts';

export class ApiError extends Error {
  constructor(
    readonly code: ApiErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

const CODE_OF_KIND: Record<ErrorKind, ApiErrorCode> = {
  input: 'invalid-argument',
  'not-found': 'not-found',
  conflict: 'conflict',
  cancelled: 'conflict',
};

/**
 * An error as the API reports it: an ApiError as it is, an AppError by its kind, SQLite's read-only
 * and busy errors (which reach here without a file to name) as conflicts; anything else unchanged.
 */
export function toApiError(err: unknown): unknown {
  if (err instanceof ApiError) return err;
  if (err instanceof AppError) return new ApiError(CODE_OF_KIND[err.kind], err.message);
  const code = String((err as { code?: unknown } | null)?.code ?? '');
  if (code.startsWith('SQLITE_READONLY'))
    return new ApiError('conflict', 'this project is open read-only (this user may not write it): browsing and exporting to another folder work, changes do not');
  if (code.startsWith('SQLITE_BUSY'))
    return new ApiError('conflict', 'the project stayed locked by another process for too long: try again when it has finished writing');
  return err;
}

/** What a transport sends back for a failed call: the message only, never a stack. */
export function toErrorShape(err: unknown): ApiErrorShape {
  const mapped = toApiError(err);
  if (mapped instanceof ApiError) return { code: mapped.code, message: mapped.message };
  const message = mapped instanceof Error ? mapped.message : String(mapped);
  return { code: 'internal', message: message || 'internal error' };
}
