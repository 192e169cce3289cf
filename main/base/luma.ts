// The one greyscale rule of the project: ITU-R BT.601 luma, Y = 0.299 R + 0.587 G + 0.114 B, computed in
// this order in double precision. Greyscale views and colour ops on 8-bit pixels round it to a byte
// (lumaByte); the pre-training augmentations use it as it is on 0..1 floats.

export function luma(r: number, g: number, b: number): number {
  return 0.299 * r + 0.587 * g + 0.114 * b;
}

/** The grey level of an 8-bit colour: luma rounded half up. */
export function lumaByte(r: number, g: number, b: number): number {
  return Math.round(luma(r, g, b));
}

/** An 8-bit RGB pixel array (3 bytes a pixel) with each pixel's grey level in all three channels. */
export function greyscaleBytes(rgb: Uint8Array): Uint8Array {
  const out = new Uint8Array(rgb.length);
  for (let i = 0; i < rgb.length; i += 3) {
    const y = lumaByte(rgb[i], rgb[i + 1], rgb[i + 2]);
    out[i] = y;
    out[i + 1] = y;
    out[i + 2] = y;
  }
  return out;
}

/** Float RGB (3 values a pixel) greyed in place: each pixel's luma in all three channels. */
export function greyscaleFloatsInPlace(rgb: Float32Array): void {
  for (let i = 0; i < rgb.length; i += 3) {
    const y = luma(rgb[i], rgb[i + 1], rgb[i + 2]);
    rgb[i] = y;
    rgb[i + 1] = y;
    rgb[i + 2] = y;
  }
}
