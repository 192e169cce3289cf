import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  applyOp,
  augmentImage,
  cutout,
  defaultAugmentParams,
  flipHorizontal,
  randomResizedCrop,
  viewRng,
  type AugmentConfig,
} from '../../main/pipeline/embed/view-augment.ts';
import { meanPixel, writeNormalised, type RgbImage } from '../../main/pipeline/embed/preprocess.ts';
import { resizeBilinear } from '../../main/pipeline/embed/resize.ts';
import { parseViewCounts, planViews, sameViewSpec } from '../../main/pipeline/embed/views.ts';

function gradient(w: number, h: number): RgbImage {
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const o = (y * w + x) * 3;
      data[o] = (x * 255) / (w - 1);
      data[o + 1] = (y * 255) / (h - 1);
      data[o + 2] = ((x + y) * 97) % 256;
    }
  }
  return { width: w, height: h, data };
}

const FILL: [number, number, number] = [128, 128, 128];
const config = (): AugmentConfig => ({ ...defaultAugmentParams(), fill: FILL });

test('view generators depend only on (seed, image, view)', () => {
  const draw = (seed: number, id: number, view: string) =>
    Array.from(
      { length: 5 },
      (
        (r) => () =>
          r.next()
      )(viewRng(seed, id, view)),
    );
  assert.deepEqual(draw(1, 7, 'weak/0'), draw(1, 7, 'weak/0'));
  assert.notDeepEqual(draw(1, 7, 'weak/0'), draw(1, 7, 'weak/1'));
  assert.notDeepEqual(draw(1, 7, 'weak/0'), draw(1, 8, 'weak/0'));
  assert.notDeepEqual(draw(1, 7, 'weak/0'), draw(2, 7, 'weak/0'));
  for (const v of draw(3, 3, 'strong/2')) assert.ok(v >= 0 && v < 1);
});

test('the same generator gives the same view; weak and strong views change the image', () => {
  const img = gradient(32, 32);
  const a = augmentImage(img, 'strong', config(), viewRng(0, 1, 'strong/0'));
  const b = augmentImage(img, 'strong', config(), viewRng(0, 1, 'strong/0'));
  assert.deepEqual(a, b);
  const weak = augmentImage(img, 'weak', config(), viewRng(0, 1, 'weak/0'));
  assert.equal(weak.width, 32);
  assert.equal(weak.height, 32);
  assert.notDeepEqual(weak.data, img.data);
});

test('geometric ops at zero magnitude and flips twice leave the image unchanged', () => {
  const img = gradient(17, 11);
  for (const op of ['rotate', 'shear_x', 'shear_y', 'translate_x', 'translate_y'] as const) assert.deepEqual(applyOp(img, op, 0, FILL).data, img.data, op);
  assert.deepEqual(flipHorizontal(flipHorizontal(img)).data, img.data);
  assert.deepEqual(randomResizedCrop(img, [1, 1], [17 / 11, 17 / 11], viewRng(0, 0, 'x')).data, img.data);
});

test('colour ops behave as their names say', () => {
  const img = gradient(16, 16);
  assert.deepEqual(applyOp(img, 'posterize', 8, FILL).data, img.data);
  assert.ok(applyOp(img, 'posterize', 4, FILL).data.every((v) => (v & 0x0f) === 0));
  assert.deepEqual(applyOp(img, 'solarize', 256, FILL).data, img.data);
  assert.deepEqual(
    applyOp(img, 'solarize', 0, FILL).data,
    img.data.map((v) => 255 - v),
  );
  for (const op of ['brightness', 'color', 'contrast', 'sharpness'] as const) assert.deepEqual(applyOp(img, op, 1, FILL).data, img.data, `${op} at factor 1`);
  assert.ok(applyOp(img, 'brightness', 0, FILL).data.every((v) => v === 0));
  const grey = applyOp(img, 'color', 0, FILL).data;
  for (let i = 0; i < grey.length; i += 3) assert.ok(grey[i] === grey[i + 1] && grey[i + 1] === grey[i + 2]);
  const flat = applyOp(img, 'contrast', 0, FILL).data;
  assert.equal(new Set(flat).size, 1);
  // autocontrast stretches a narrow range to 0..255
  const narrow: RgbImage = { width: 4, height: 1, data: Uint8Array.from([100, 100, 100, 110, 110, 110, 120, 120, 120, 130, 130, 130]) };
  const stretched = applyOp(narrow, 'autocontrast', 0, FILL).data;
  assert.equal(Math.min(...stretched), 0);
  assert.equal(Math.max(...stretched), 255);
  const eq = applyOp(narrow, 'equalize', 0, FILL).data;
  assert.equal(eq[eq.length - 1], 255);
});

test('cutout fills one square of at most the given fraction of the side with the fill colour', () => {
  const img = gradient(32, 32);
  for (let s = 0; s < 50; s++) {
    const out = cutout(img, 0.5, viewRng(s, 0, 'c'), [1, 2, 3]);
    let filled = 0;
    for (let i = 0; i < out.data.length; i += 3) if (out.data[i] === 1 && out.data[i + 1] === 2 && out.data[i + 2] === 3) filled++;
    assert.ok(filled >= 1 && filled <= 16 * 16, `filled ${filled}`);
  }
});

test('normalisation writes (p/255 - mean)/std in the model channel order and layout', () => {
  const img: RgbImage = { width: 2, height: 1, data: Uint8Array.from([255, 0, 51, 0, 255, 102]) };
  const mean: [number, number, number] = [0.5, 0.25, 0];
  const std: [number, number, number] = [0.5, 0.25, 1];
  const nchw = new Float32Array(2 * 12);
  const close = (a: ArrayLike<number>, b: number[]) => b.forEach((v, i) => assert.ok(Math.abs(a[i] - v) < 1e-6, `${a[i]} vs ${v} at ${i}`));
  const sq: RgbImage = { width: 2, height: 2, data: Uint8Array.from([255, 0, 51, 0, 255, 102, 0, 0, 0, 255, 255, 255]) };
  writeNormalised(sq, { size: 2, mean, std, channelOrder: 'RGB', layout: 'NCHW' }, nchw, 0);
  close(nchw.subarray(0, 12), [1, -1, -1, 1, -1, 3, -1, 3, 0.2, 0.4, 0, 1]);
  writeNormalised(sq, { size: 2, mean, std, channelOrder: 'RGB', layout: 'NCHW' }, nchw, 1);
  assert.deepEqual(nchw.subarray(12), nchw.subarray(0, 12), 'slot 1 starts 3 x 2 x 2 values in');
  const nhwc = new Float32Array(12);
  writeNormalised(sq, { size: 2, mean, std, channelOrder: 'RGB', layout: 'NHWC' }, nhwc, 0);
  close(nhwc, [1, -1, 0.2, -1, 3, 0.4, -1, -1, 0, 1, 3, 1]);
  const bgr = new Float32Array(12);
  // BGR: model channel 0 is blue, with mean[0]/std[0].
  writeNormalised(sq, { size: 2, mean, std, channelOrder: 'BGR', layout: 'NCHW' }, bgr, 0);
  close(bgr.subarray(0, 4), [(0.2 - 0.5) / 0.5, (0.4 - 0.5) / 0.5, -1, 1]);
  const large: RgbImage = { width: 3, height: 2, data: new Uint8Array(18) };
  assert.throws(() => writeNormalised(large, { size: 2, mean, std, channelOrder: 'RGB', layout: 'NCHW' }, nchw, 1), /expected at most 2x2/);
  // A smaller image is enlarged on the way: exactly what resizing it first would write.
  for (const layout of ['NCHW', 'NHWC'] as const) {
    for (const channelOrder of ['RGB', 'BGR'] as const) {
      const spec = { size: 7, mean, std, channelOrder, layout };
      const direct = new Float32Array(2 * 3 * 49);
      const viaResize = new Float32Array(2 * 3 * 49);
      writeNormalised(img, spec, direct, 1);
      writeNormalised(resizeBilinear(img, 7, 7), spec, viaResize, 1);
      assert.deepEqual(direct, viaResize, `${layout} ${channelOrder}`);
    }
  }
  assert.deepEqual(meanPixel({ mean: [0.1, 0.2, 0.4], channelOrder: 'BGR' }), [102, 51, 26]);
});

test('view counts parse and plan into specs that detect changed settings', () => {
  assert.deepEqual(parseViewCounts('weak=4,strong=4'), { weak: 4, strong: 4, fixed: 0 });
  assert.deepEqual(parseViewCounts('strong=2'), { weak: 0, strong: 2, fixed: 0 });
  assert.deepEqual(parseViewCounts('none'), { weak: 0, strong: 0, fixed: 0 });
  assert.throws(() => parseViewCounts('weak:4'), /weak=4,strong=4/);
  assert.throws(() => parseViewCounts('weak=1000'), /from 0 to 64/);
  const a = planViews({ weak: 2, strong: 1, fixed: 0 }, 5, 128, FILL).views;
  assert.deepEqual(
    a.map((v) => v.view),
    ['plain', 'weak/0', 'weak/1', 'strong/0'],
  );
  assert.deepEqual(
    a.map((v) => v.kind),
    ['plain', 'weak', 'weak', 'strong'],
  );
  const roundTrip = JSON.parse(JSON.stringify(a[3]));
  assert.ok(sameViewSpec(a[3], roundTrip));
  const otherSeed = planViews({ weak: 2, strong: 1, fixed: 0 }, 6, 128, FILL).views;
  assert.ok(!sameViewSpec(a[1], otherSeed[1]));
  assert.ok(sameViewSpec(a[0], otherSeed[0]), 'the plain view does not depend on the seed');
  const otherSize = planViews({ weak: 2, strong: 1, fixed: 0 }, 5, 160, FILL).views;
  assert.ok(!sameViewSpec(a[1], otherSize[1]));
});
