// The deterministic views of the bank (greyscale, mirror, centre zoom, greyscale zoom) on tiny synthetic
// images, and how view counts and plans carry them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { flipHorizontal } from '../../main/pipeline/embed/view-augment.ts';
import { centreCropBox, FIXED_VIEWS, fixedViewImage, fixedViewName, ZOOM_FRACTION } from '../../main/pipeline/embed/fixed-views.ts';
import type { RgbImage } from '../../main/pipeline/embed/preprocess.ts';
import { parseViewCounts, planViews, sameViewSpec, validateViewCounts } from '../../main/pipeline/embed/views.ts';

/** Pixel (x, y) = [x, y, 10 * x + y]: every pixel tells where it came from (w, h <= 25). */
function coords(w: number, h: number): RgbImage {
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) data.set([x, y, 10 * x + y], (y * w + x) * 3);
  }
  return { width: w, height: h, data };
}

function pixel(img: RgbImage, x: number, y: number): number[] {
  const o = (y * img.width + x) * 3;
  return [img.data[o], img.data[o + 1], img.data[o + 2]];
}

const FILL: [number, number, number] = [128, 128, 128];

test('the fixed views and their order', () => {
  assert.deepEqual([...FIXED_VIEWS], ['gray', 'flip', 'zoom', 'gray-zoom']);
  assert.equal(ZOOM_FRACTION, 0.75);
  for (const name of FIXED_VIEWS) assert.equal(fixedViewName(`fixed/${name}`), name);
  assert.throws(() => fixedViewName('fixed/blur'), /unknown fixed view 'fixed\/blur'/);
  assert.throws(() => fixedViewName('gray'), /unknown fixed view/);
  assert.throws(() => fixedViewName('weak/0'), /unknown fixed view/);
});

test('gray: rounded luma 0.299 R + 0.587 G + 0.114 B in all three channels, size kept', () => {
  const img: RgbImage = { width: 3, height: 2, data: new Uint8Array([255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30, 255, 255, 255, 7, 7, 7]) };
  const g = fixedViewImage(img, 'gray');
  assert.equal(g.width, 3);
  assert.equal(g.height, 2);
  // 76.245, 149.685, 29.07, 10*0.299 + 20*0.587 + 30*0.114 = 18.15, 255, 7
  const expected = [76, 150, 29, 18, 255, 7];
  assert.deepEqual(
    Array.from(g.data),
    expected.flatMap((v) => [v, v, v]),
  );
  assert.deepEqual(Array.from(img.data.subarray(0, 3)), [255, 0, 0], 'the input is left alone');
  assert.deepEqual(fixedViewImage(g, 'gray').data, g.data, 'grey stays grey');
});

test('flip: mirrored left-right, as flipHorizontal', () => {
  const img = coords(5, 3);
  const f = fixedViewImage(img, 'flip');
  assert.deepEqual(f, flipHorizontal(img));
  assert.deepEqual(pixel(f, 0, 1), pixel(img, 4, 1));
  assert.deepEqual(pixel(f, 4, 2), pixel(img, 0, 2));
  assert.deepEqual(pixel(f, 2, 0), pixel(img, 2, 0));
});

test('zoom: the central 0.75 crop, 24 x 24 at offset 4 of a 32-px image', () => {
  assert.deepEqual(centreCropBox(32, 32, 0.75), { left: 4, top: 4, width: 24, height: 24 });
  const big: RgbImage = { width: 32, height: 32, data: new Uint8Array(32 * 32 * 3).map((_, i) => i % 251) };
  const z = fixedViewImage(big, 'zoom');
  assert.equal(z.width, 24);
  assert.equal(z.height, 24);
  for (const [x, y] of [
    [0, 0],
    [23, 0],
    [0, 23],
    [23, 23],
    [11, 7],
  ])
    assert.deepEqual(pixel(z, x, y), pixel(big, x + 4, y + 4));
});

test('zoom of odd and uneven sizes: round(0.75 * side), centred with floor', () => {
  // 25 x 13: 18.75 -> 19 wide at floor(6 / 2) = 3; 9.75 -> 10 high at floor(3 / 2) = 1.
  assert.deepEqual(centreCropBox(25, 13, 0.75), { left: 3, top: 1, width: 19, height: 10 });
  assert.deepEqual(centreCropBox(31, 31, 0.75), { left: 4, top: 4, width: 23, height: 23 });
  assert.deepEqual(centreCropBox(1, 1, 0.75), { left: 0, top: 0, width: 1, height: 1 });
  const img = coords(25, 13);
  const z = fixedViewImage(img, 'zoom');
  assert.equal(z.width, 19);
  assert.equal(z.height, 10);
  for (let y = 0; y < z.height; y++) for (let x = 0; x < z.width; x++) assert.deepEqual(pixel(z, x, y), pixel(img, x + 3, y + 1));
});

test('gray-zoom is the greyscale of the zoom', () => {
  const img: RgbImage = { width: 9, height: 7, data: new Uint8Array(9 * 7 * 3).map((_, i) => (i * 37) % 256) };
  const gz = fixedViewImage(img, 'gray-zoom');
  assert.deepEqual(gz, fixedViewImage(fixedViewImage(img, 'zoom'), 'gray'));
  assert.equal(gz.width, 7);
  assert.equal(gz.height, 5);
});

test('view counts take fixed=0..4; plans add the fixed views after weak and strong, without seed', () => {
  assert.deepEqual(parseViewCounts('weak=4,strong=4,fixed=4'), { weak: 4, strong: 4, fixed: 4 });
  assert.deepEqual(parseViewCounts('fixed=2'), { weak: 0, strong: 0, fixed: 2 });
  assert.deepEqual(parseViewCounts(' fixed = 1 , weak=1 '), { weak: 1, strong: 0, fixed: 1 });
  assert.throws(() => parseViewCounts('fixed=5'), /fixed views must be an integer from 0 to 4 \(gray, flip, zoom, gray-zoom\), got 5/);
  assert.throws(() => parseViewCounts('fixed:1'), /weak=4,strong=4,fixed=4/);
  assert.throws(() => validateViewCounts({ weak: 0, strong: 0, fixed: -1 }), /fixed views/);
  assert.throws(() => validateViewCounts({ weak: 0, strong: 0, fixed: 1.5 }), /fixed views/);

  const { views } = planViews({ weak: 1, strong: 1, fixed: 4 }, 5, 128, FILL);
  assert.deepEqual(
    views.map((v) => v.view),
    ['plain', 'weak/0', 'strong/0', 'fixed/gray', 'fixed/flip', 'fixed/zoom', 'fixed/gray-zoom'],
  );
  assert.deepEqual(
    views.map((v) => v.order),
    [0, 1, 2, 3, 4, 5, 6],
  );
  const fixed = views.slice(3);
  for (const v of fixed) {
    assert.equal(v.kind, 'fixed');
    assert.equal(v.seed, 0);
    assert.equal(v.inputSize, 128);
    assert.equal(v.params.transform, v.view.slice('fixed/'.length));
    assert.deepEqual(v.params.finalResize, { kernel: 'linear', fit: 'fill' });
    assert.equal(typeof v.params.workingImage, 'string');
  }
  assert.deepEqual(
    fixed.map((v) => v.params.zoom),
    [undefined, undefined, 0.75, 0.75],
  );
  assert.deepEqual(
    planViews({ weak: 0, strong: 0, fixed: 2 }, 0, 128, FILL).views.map((v) => v.view),
    ['plain', 'fixed/gray', 'fixed/flip'],
  );

  // Another seed leaves the fixed views as they were; another size or transform does not.
  const otherSeed = planViews({ weak: 1, strong: 1, fixed: 4 }, 6, 128, FILL).views;
  for (let i = 3; i < 7; i++) assert.ok(sameViewSpec(views[i], otherSeed[i]), views[i].view);
  assert.ok(sameViewSpec(views[5], JSON.parse(JSON.stringify(views[5]))));
  const otherSize = planViews({ weak: 0, strong: 0, fixed: 4 }, 5, 160, FILL).views;
  assert.ok(!sameViewSpec(views[3], otherSize[1]));
  assert.ok(!sameViewSpec(views[5], { ...views[5], params: { ...views[5].params, zoom: 0.5 } }));
});
