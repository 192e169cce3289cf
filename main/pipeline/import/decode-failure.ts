import { looksTruncated, sniffFormat } from './magic.ts';
import { ImportFailure, shortenDetail } from './reasons.ts';

export interface FileProbe {
  head: Uint8Array;
  tail: Uint8Array;
  bytes: number;
}

/**
 * Says why a file the decoder rejected cannot be imported. The file's own bytes decide the reason
 * where they can (no known signature: not an image; a cut-off end: truncated), because libvips's error
 * text can be lost or mixed up when several decodes fail at once; the text only fills in the rest.
 */
export function classifyDecodeFailure(message: string, file: FileProbe): ImportFailure {
  const detail = shortenDetail(message);
  if (/pixel limit/i.test(message)) return new ImportFailure('too many pixels', detail);
  const format = sniffFormat(file.head);
  if (format === null) return new ImportFailure('not an image', 'content is not a recognised image format');
  if (looksTruncated(format, file.head, file.tail, file.bytes) || TRUNCATION_WORDS.test(message)) {
    return new ImportFailure('truncated', `${format.toUpperCase()} data ends early${detail ? ` (${detail})` : ''}`);
  }
  return new ImportFailure('corrupt', `${format.toUpperCase()} data cannot be decoded${detail ? ` (${detail})` : ''}`);
}

const TRUNCATION_WORDS = /premature end|unexpected end|end of (file|data|stream)|truncat|bad seek|out of data|short read|not enough data/i;

/** libvips messages that carry nothing, as left when another thread cleared the shared error buffer. */
export function isUninformative(message: string): boolean {
  return message.trim() === '' || /^unknown error$/i.test(message.trim());
}
