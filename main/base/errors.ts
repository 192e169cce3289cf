// The kinds of error the product tells apart where it answers a caller (the API's error codes, the CLI's
// messages): matched with instanceof, so a new input error only has to extend InputError.

/** The caller's input is wrong (a setting, a name, a file, a selection): an answer, not a fault of the app. */
export class InputError extends Error {}

/** What the caller asked for does not exist. */
export class NotFoundError extends Error {}
