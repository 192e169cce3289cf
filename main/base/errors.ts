// The kinds of error the product tells apart where it answers a caller (the API's error codes, the CLI's
// messages), matched with instanceof: a new error of a known kind only has to extend one of these.
// main/app/services/errors.ts maps each kind to its API error code, in one place.

/** How a caller should take a failure; everything not an AppError is a fault of the app. */
export type ErrorKind = 'input' | 'not-found' | 'conflict' | 'cancelled';

/** An error raised on purpose: its message is written for the person and shown as it is. */
export abstract class AppError extends Error {
  constructor(
    readonly kind: ErrorKind,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'AppError';
  }
}

/** The caller's input is wrong (a setting, a name, a file, a selection): an answer, not a fault of the app. */
export class InputError extends AppError {
  constructor(message: string, options?: ErrorOptions) {
    super('input', message, options);
    this.name = 'InputError';
  }
}

/** What the caller asked for does not exist. */
export class NotFoundError extends AppError {
  constructor(message: string, options?: ErrorOptions) {
    super('not-found', message, options);
    this.name = 'NotFoundError';
  }
}

/** The request clashes with the state things are in (a job already running, a file locked or read-only). */
export class ConflictError extends AppError {
  constructor(message: string, options?: ErrorOptions) {
    super('conflict', message, options);
    this.name = 'ConflictError';
  }
}

/** The work was cancelled (by the person, or because the process is stopping). */
export class CancelledError extends AppError {
  constructor(message = 'cancelled', options?: ErrorOptions) {
    super('cancelled', message, options);
    this.name = 'CancelledError';
  }
}
