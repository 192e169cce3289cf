/** The formats the import accepts, named as stored in images.format. */
export type ImageFormat = 'jpeg' | 'png' | 'webp' | 'gif' | 'tiff' | 'avif';

/** How many leading and trailing bytes of a file the checks below look at. */
export const PROBE_BYTES = 16;

const ascii = (bytes: Uint8Array, offset: number, text: string) =>
  offset >= 0 && bytes.length >= offset + text.length && [...text].every((c, i) => bytes[offset + i] === c.charCodeAt(0));

/**
 * Recognises an image format from its first bytes (the HEIF family, AVIF included, as 'avif'). Used to
 * tell "not an image at all" from "an image the decoder could not read": libvips keeps its error text
 * in one process-wide buffer, so under concurrent decodes the message of a failure is not reliable.
 */
export function sniffFormat(head: Uint8Array): ImageFormat | null {
  if (head.length >= 3 && head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return 'jpeg';
  if (head.length >= 8 && head[0] === 0x89 && ascii(head, 1, 'PNG\r\n\x1a\n')) return 'png';
  if (ascii(head, 0, 'GIF87a') || ascii(head, 0, 'GIF89a')) return 'gif';
  if (ascii(head, 0, 'RIFF') && ascii(head, 8, 'WEBP')) return 'webp';
  if (ascii(head, 0, 'II') && (head[2] === 42 || head[2] === 43) && head[3] === 0) return 'tiff';
  if (ascii(head, 0, 'MM') && head[2] === 0 && (head[3] === 42 || head[3] === 43)) return 'tiff';
  if (ascii(head, 4, 'ftyp')) return 'avif';
  return null;
}

/**
 * Whether a file of a known format visibly ends before its end marker. Only asked after a decode
 * failed: some writers append bytes after the marker, so a missing marker alone proves nothing.
 */
export function looksTruncated(format: ImageFormat, head: Uint8Array, tail: Uint8Array, size: number): boolean {
  const endsWith = (bytes: number[]) => {
    for (let i = 0; i + bytes.length <= tail.length; i++) if (bytes.every((b, j) => tail[i + j] === b)) return true;
    return false;
  };
  switch (format) {
    case 'jpeg':
      return !endsWith([0xff, 0xd9]);
    case 'png':
      return !endsWith([...'IEND'].map((c) => c.charCodeAt(0)));
    case 'gif':
      return tail[tail.length - 1] !== 0x3b;
    case 'webp':
      return head.length >= 8 && new DataView(head.buffer, head.byteOffset, head.byteLength).getUint32(4, true) + 8 > size;
    default:
      return false;
  }
}
