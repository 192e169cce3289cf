// An image reference as the transports' image routes take it: a kind and an id, nothing path-like.
// Its own module so a transport's process (Electron's main, which only forwards) loads no image code.

export type ImageKind = 'thumb' | 'full';

/** Parses '<kind>/<id>' strictly: digits only, so nothing path-like ever reaches a lookup. */
export function parseImageRef(kind: string, id: string): { kind: ImageKind; imageId: number } | null {
  if (kind !== 'thumb' && kind !== 'full') return null;
  if (!/^[1-9][0-9]{0,15}$/.test(id)) return null;
  const imageId = Number(id);
  return Number.isSafeInteger(imageId) ? { kind, imageId } : null;
}
