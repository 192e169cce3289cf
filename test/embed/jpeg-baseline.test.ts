import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import sharp, { type JpegOptions, type Sharp } from 'sharp';
import { decodeBaselineJpeg } from '../../main/pipeline/embed/jpeg-baseline.ts';
import { jpegOrientation } from '../../main/pipeline/embed/jpeg-orientation.ts';
import { decodeBytes } from '../../main/pipeline/embed/preprocess.ts';
import { withoutIccProfile } from '../helpers/jpeg.ts';
import { CIFAR_CLASSES, DEMO_PER_CLASS, demoImage } from '../helpers/paths.ts';

async function assertSamePixelsAsLibvips(bytes: Buffer, what: string): Promise<void> {
  const mine = decodeBaselineJpeg(bytes);
  assert.ok(mine, `${what}: decoded`);
  const expected = await decodeBytes(bytes);
  assert.equal(mine.width, expected.width, what);
  assert.equal(mine.height, expected.height, what);
  assert.ok(Buffer.from(mine.data).equals(Buffer.from(expected.data)), `${what}: the same pixels as libvips`);
}

test('every demo image decodes to the same pixels as libvips', async () => {
  for (const cls of CIFAR_CLASSES) {
    for (let i = 0; i < DEMO_PER_CLASS; i++) await assertSamePixelsAsLibvips(readFileSync(demoImage(cls, i)), `${cls}/${i}`);
  }
});

/** Noise: every coefficient of every block is used, large ones included. */
function noise(width: number, height: number): Sharp {
  const data = Buffer.alloc(width * height * 3);
  let state = width * 7919 + height;
  for (let i = 0; i < data.length; i++) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    data[i] = state >>> 24;
  }
  return sharp(data, { raw: { width, height, channels: 3 } });
}

test('baseline JPEGs of other sizes, qualities, subsamplings and Huffman tables decode as libvips does', async () => {
  const photo = readFileSync(demoImage('horse', 7));
  // Odd sizes exercise partial blocks and the chroma upsampler's edges (width 5: three chroma columns).
  const sizes = [
    [5, 5],
    [6, 2],
    [32, 1],
    [33, 17],
    [17, 33],
    [127, 65],
  ];
  const settings: JpegOptions[] = [
    { quality: 75 },
    { quality: 100 },
    { quality: 10 },
    { quality: 90, chromaSubsampling: '4:4:4' },
    { quality: 95, optimiseCoding: true },
    { quality: 85, trellisQuantisation: true, overshootDeringing: true },
  ];
  for (const [width, height] of sizes) {
    for (const jpeg of settings) {
      for (const [kind, source] of [
        ['photo', sharp(photo).resize(width, height, { fit: 'fill' })],
        ['noise', noise(width, height)],
      ] as const) {
        await assertSamePixelsAsLibvips(await source.jpeg(jpeg).toBuffer(), `${kind} ${width}x${height} ${JSON.stringify(jpeg)}`);
      }
    }
  }
});

test('JPEGs it does not decode exactly as libvips are left to libvips', async () => {
  const photo = readFileSync(demoImage('ship', 3));
  const refused: Array<[string, Buffer]> = [
    ['progressive', await sharp(photo).jpeg({ progressive: true }).toBuffer()],
    ['greyscale', await sharp(photo).toColourspace('b-w').jpeg().toBuffer()],
    ['ICC profile', await sharp(photo).withIccProfile('p3').jpeg().toBuffer()],
    // libjpeg replicates chroma this narrow instead of filtering it.
    ['4:2:0, two chroma columns', await sharp(photo).resize(4, 4).jpeg().toBuffer()],
    ['cut short', photo.subarray(0, photo.length - 2)],
    ['cut in half', photo.subarray(0, photo.length >> 1)],
    ['PNG', await sharp(photo).png().toBuffer()],
  ];
  for (const [what, bytes] of refused) assert.equal(decodeBaselineJpeg(bytes), null, what);
  // The EXIF orientation is the caller's to apply: the pixels are the stored ones.
  const rotated = withoutIccProfile(
    await sharp(await sharp(photo).resize(32, 24).jpeg().toBuffer())
      .withMetadata({ orientation: 6 })
      .jpeg()
      .toBuffer(),
  );
  assert.equal(jpegOrientation(rotated), 6);
  assert.equal(decodeBaselineJpeg(rotated)?.width, 32);
});
