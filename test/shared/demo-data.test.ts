// The data shipped in the repository is a true subset of the shared benchmark data: the demo images are
// the first 100 of each class of the CIFAR-10 test split, byte for byte, and the shipped backbone is the
// shared MobileNet v1 file (so figures measured on ../shared describe what a fresh clone runs).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CIFAR_CLASSES, DEMO_IMAGES_DIR, DEMO_PER_CLASS, MOBILENET_V1 } from '../helpers/paths.ts';
import { CIFAR_FULL_DIR, SHARED_DIR, sharedLaneSkip } from '../helpers/shared-lane.ts';
import { fileDigest } from '../helpers/code-hash.ts';

const SHARED_V1 = join(SHARED_DIR, 'models/mobilenet_v1_1.0_imagenet_features.onnx');

// Each test carries the skip, so the runner's summary counts what the shared lane skipped.
const skip = sharedLaneSkip(CIFAR_FULL_DIR, SHARED_V1);

describe('shipped demo data and model', () => {
  it('holds the first 100 images of every CIFAR-10 class, identical to the test split', { skip }, () => {
    assert.deepEqual(readdirSync(DEMO_IMAGES_DIR).sort(), [...CIFAR_CLASSES]);
    for (const cls of CIFAR_CLASSES) {
      const files = readdirSync(join(DEMO_IMAGES_DIR, cls)).sort();
      assert.deepEqual(files, readdirSync(join(CIFAR_FULL_DIR, cls)).sort().slice(0, DEMO_PER_CLASS), `${cls}: not the first ${DEMO_PER_CLASS} files`);
      for (const f of files) assert.ok(readFileSync(join(DEMO_IMAGES_DIR, cls, f)).equals(readFileSync(join(CIFAR_FULL_DIR, cls, f))), `${cls}/${f} differs`);
    }
  });

  it('ships the shared MobileNet v1 weights', { skip }, () => {
    assert.equal(fileDigest(MOBILENET_V1), fileDigest(SHARED_V1));
  });
});
