import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { decodeSmallImages, type SmallImageFile } from '../../main/pipeline/embed/decode-small.ts';
import { jpegOrientation } from '../../main/pipeline/embed/jpeg-orientation.ts';
import { decodeBytes } from '../../main/pipeline/embed/preprocess.ts';
import { withoutIccProfile } from '../helpers/jpeg.ts';
import { demoImage } from '../helpers/paths.ts';

test('the EXIF orientation of a JPEG is read from its bytes', async () => {
  const plain = readFileSync(demoImage('cat', 1));
  assert.equal(jpegOrientation(plain), 1, 'no EXIF: upright');
  for (const orientation of [1, 3, 6, 8]) {
    const tagged = await sharp(plain).withMetadata({ orientation }).jpeg().toBuffer();
    assert.equal(jpegOrientation(tagged), orientation);
  }
  assert.equal(jpegOrientation(await sharp(plain).png().toBuffer()), null, 'not a JPEG');
  assert.equal(jpegOrientation(plain.subarray(0, 10)), 1, 'cut short before any EXIF');
});

test('a batch of small images decodes to the same pixels as one call per image, and a broken file fails alone', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'spice-decode-small-'));
  try {
    const files: SmallImageFile[] = [];
    const add = async (name: string, bytes: Buffer) => {
      const path = join(dir, name);
      writeFileSync(path, bytes);
      const meta = await sharp(bytes).metadata();
      // As import stores it: after EXIF orientation.
      files.push({ path, width: meta.autoOrient?.width ?? meta.width!, height: meta.autoOrient?.height ?? meta.height! });
    };
    for (let i = 0; i < 5; i++) await add(`cat${i}.jpg`, readFileSync(demoImage('cat', i)));
    // Not baseline: decoded by libvips, as one mosaic.
    for (let i = 0; i < 4; i++)
      await add(
        `cat${i}-progressive.jpg`,
        await sharp(readFileSync(demoImage('cat', i)))
          .jpeg({ progressive: true })
          .toBuffer(),
      );
    const dog = readFileSync(demoImage('dog', 2));
    await add('grey.jpg', await sharp(dog).greyscale().jpeg().toBuffer());
    await add(
      'rotated.jpg',
      await sharp(await sharp(dog).resize(32, 24).jpeg().toBuffer())
        .withMetadata({ orientation: 6 })
        .jpeg()
        .toBuffer(),
    );
    // Square: the same stored size as the 32-px group, so only its EXIF rotation keeps it out of the mosaic.
    await add(
      'rotated-square.jpg',
      await sharp(readFileSync(demoImage('frog', 3)))
        .withMetadata({ orientation: 6 })
        .jpeg()
        .toBuffer(),
    );
    // The same without the ICC profile withMetadata() adds: a baseline JPEG the JavaScript decoder would take.
    await add(
      'rotated-square-baseline.jpg',
      withoutIccProfile(
        await sharp(readFileSync(demoImage('frog', 4)))
          .withMetadata({ orientation: 6 })
          .jpeg()
          .toBuffer(),
      ),
    );
    await add('alpha.png', await sharp(dog).ensureAlpha(0.4).png().toBuffer());
    await add('tall.jpg', await sharp(dog).resize(20, 30).jpeg().toBuffer());
    await add(
      'tall2.jpg',
      await sharp(readFileSync(demoImage('ship', 4)))
        .resize(20, 30)
        .jpeg()
        .toBuffer(),
    );
    const broken = readFileSync(demoImage('ship', 5));
    await add('broken.jpg', broken);
    // Cut after the header: same size as its neighbours, fails only when decoded.
    writeFileSync(files[files.length - 1].path, broken.subarray(0, Math.floor(broken.length / 2)));
    files.push({ path: join(dir, 'missing.jpg'), width: 32, height: 32 });

    const failing = (f: SmallImageFile) => f.path.endsWith('broken.jpg') || f.path.endsWith('missing.jpg');
    // Without the broken files the progressive 32-px JPEGs are joined; with them (the cut baseline JPEG
    // falls to the mosaic), that group falls back to one call each.
    for (const batch of [files.filter((f) => !failing(f)), files]) {
      const decoded = await decodeSmallImages(batch);
      assert.equal(decoded.length, batch.length);
      for (const [i, file] of batch.entries()) {
        const result = decoded[i];
        if (failing(file)) {
          assert.ok(result instanceof Error, `${file.path} is reported as an error`);
          continue;
        }
        assert.ok(!(result instanceof Error), `${file.path}: ${result instanceof Error ? result.message : ''}`);
        const expected = await decodeBytes(readFileSync(file.path));
        assert.equal(result.width, expected.width, file.path);
        assert.equal(result.height, expected.height, file.path);
        assert.deepEqual(result.data, expected.data, `${file.path}: same pixels as decoding it alone`);
      }
      const rotated = decoded[batch.findIndex((f) => f.path.endsWith('rotated.jpg'))];
      assert.ok(!(rotated instanceof Error) && rotated.width === 24 && rotated.height === 32, 'the EXIF rotation is applied');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
