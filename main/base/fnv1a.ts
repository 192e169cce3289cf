// FNV-1a, 32 bits: a fast, stable hash of a short key (not for security). Seeds per-view generators from
// (seed, image, view) and names the images a stored k-NN graph was computed from.

/** FNV-1a over `values`, each folded in as one 32-bit word (xor, then multiply by the FNV prime). */
export function fnv1a32(values: Iterable<number>): number {
  let h = 0x811c9dc5;
  for (const v of values) {
    h ^= v;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** FNV-1a over the characters of `key` (for each code point, its first UTF-16 unit). */
export function fnv1a32String(key: string): number {
  return fnv1a32(Array.from(key, (ch) => ch.charCodeAt(0)));
}
