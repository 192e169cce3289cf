// The EXIF orientation of a JPEG, read from its bytes without decoding: the batch decoder joins only
// images that need no rotation, because libvips orients a joined mosaic as a whole, not per image.

/** EXIF orientation 1-8 of a JPEG file's bytes; 1 when it has none; null when these are not JPEG bytes. */
export function jpegOrientation(bytes: Uint8Array): number | null {
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8) return null;
  let at = 2;
  while (at + 4 <= bytes.length) {
    if (bytes[at] !== 0xff) return 1;
    const marker = bytes[at + 1];
    // Fill bytes before a marker.
    if (marker === 0xff) {
      at++;
      continue;
    }
    // Start of scan or end of image: the metadata segments are behind us.
    if (marker === 0xda || marker === 0xd9) return 1;
    const length = (bytes[at + 2] << 8) | bytes[at + 3];
    if (length < 2) return 1;
    if (marker === 0xe1) {
      const orientation = exifOrientation(bytes, at + 4, Math.min(bytes.length, at + 2 + length));
      if (orientation !== null) return orientation;
    }
    at += 2 + length;
  }
  return 1;
}

/** The orientation tag (0x0112) of IFD0 in an APP1 payload starting "Exif\0\0", or null. */
function exifOrientation(bytes: Uint8Array, start: number, end: number): number | null {
  const isExif = end - start >= 14 && bytes[start] === 0x45 && bytes[start + 1] === 0x78 && bytes[start + 2] === 0x69 && bytes[start + 3] === 0x66;
  if (!isExif) return null;
  const tiff = start + 6;
  const little = bytes[tiff] === 0x49 && bytes[tiff + 1] === 0x49;
  const big = bytes[tiff] === 0x4d && bytes[tiff + 1] === 0x4d;
  if (!little && !big) return null;
  const u16 = (p: number) => (little ? bytes[p] | (bytes[p + 1] << 8) : (bytes[p] << 8) | bytes[p + 1]);
  const u32 = (p: number) =>
    little
      ? (bytes[p] | (bytes[p + 1] << 8) | (bytes[p + 2] << 16)) + bytes[p + 3] * 2 ** 24
      : bytes[p] * 2 ** 24 + ((bytes[p + 1] << 16) | (bytes[p + 2] << 8) | bytes[p + 3]);
  const ifd = tiff + u32(tiff + 4);
  if (ifd + 2 > end) return null;
  const entries = u16(ifd);
  for (let i = 0; i < entries; i++) {
    const entry = ifd + 2 + i * 12;
    if (entry + 12 > end) return null;
    if (u16(entry) === 0x0112) {
      const value = u16(entry + 8);
      return value >= 1 && value <= 8 ? value : 1;
    }
  }
  return 1;
}
