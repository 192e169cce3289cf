import type { ApiErrorCode, ApiErrorShape } from '$contract/api.ts';

/** A failed call, carrying the contract's error code. */
export class BridgeError extends Error {
  readonly code: ApiErrorCode;
  constructor(shape: ApiErrorShape) {
    super(shape.message);
    this.name = 'BridgeError';
    this.code = shape.code;
  }
}

export function isBridgeError(err: unknown, code?: ApiErrorCode): err is BridgeError {
  return err instanceof BridgeError && (code === undefined || err.code === code);
}
