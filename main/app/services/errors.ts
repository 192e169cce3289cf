// The error every service throws on purpose; anything else reaching a transport is 'internal'.
import type { ApiErrorCode, ApiErrorShape } from '../../../preload/contract/api.ts';

export class ApiError extends Error {
  constructor(readonly code: ApiErrorCode, message: string) {
    super(message);
    this.name = 'ApiError';
  }
}

/** What a transport sends back for a failed call: the message only, never a stack. */
export function toErrorShape(err: unknown): ApiErrorShape {
  if (err instanceof ApiError) return { code: err.code, message: err.message };
  const message = err instanceof Error ? err.message : String(err);
  return { code: 'internal', message: message || 'internal error' };
}
