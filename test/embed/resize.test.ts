import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp, { type Sharp } from 'sharp';
import { resizeBilinear } from '../../main/pipeline/embed/resize.ts';
import { decodeResized, RESIZE } from '../../main/pipeline/embed/preprocess.ts';
import { CIFAR_CLASSES, demoImage } from '../helpers/paths.ts';

async function sharpRaw(input: Sharp): Promise<{ data: Uint8Array; width: number; height: number }> {
  const { data, info } = await input.raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data), width: info.width, height: info.height };
}

test('small images are enlarged in JavaScript as libvips enlarges them (within rounding)', async () => {
  for (const [source, target] of [
    [32, 128],
    [24, 128],
    [32, 224],
    [20, 96],
  ] as const) {
    let sum = 0;
    let worst = 0;
    let n = 0;
    for (const cls of CIFAR_CLASSES) {
      const file = demoImage(cls, 7);
      const small = await sharpRaw(sharp(file).resize(source, source, RESIZE));
      const expected = await sharpRaw(sharp(small.data, { raw: { width: source, height: source, channels: 3 } }).resize(target, target, RESIZE));
      const actual = resizeBilinear(small, target, target);
      assert.equal(actual.width, target);
      assert.equal(actual.data.length, expected.data.length);
      for (let i = 0; i < actual.data.length; i++) {
        const d = Math.abs(actual.data[i] - expected.data[i]);
        sum += d;
        worst = Math.max(worst, d);
        n++;
      }
    }
    assert.ok(sum / n < 0.5, `${source} -> ${target}: mean difference ${sum / n}`);
    assert.ok(worst <= 2, `${source} -> ${target}: largest difference ${worst}`);
  }
});

test('the plain view of a small image and of a large one match sharp decoding and resizing the file', async () => {
  const small = demoImage('ship', 3);
  const large = await sharp(small).resize(300, 200, RESIZE).png().toBuffer();
  const largePath = join(tmpdir(), `spice-resize-large-${process.pid}.png`);
  await sharp(large).toFile(largePath);
  try {
    for (const path of [small, largePath]) {
      const expected = await sharpRaw(sharp(path).resize(128, 128, RESIZE));
      for (const known of [
        undefined,
        await sharp(path)
          .metadata()
          .then((m) => ({ width: m.width!, height: m.height! })),
      ]) {
        const actual = await decodeResized(path, 128, known);
        let worst = 0;
        for (let i = 0; i < actual.data.length; i++) worst = Math.max(worst, Math.abs(actual.data[i] - expected.data[i]));
        assert.ok(worst <= 2, `${path}: largest difference ${worst}`);
      }
    }
  } finally {
    rmSync(largePath, { force: true });
  }
});
