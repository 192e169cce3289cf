// Where the large read-only data lives when ../shared sits beside the checkout (benchmarks and the
// shared test lane; a fresh clone has none of it). SPICE_SHARED_DIR names another folder.
import { join } from 'node:path';
import { sharedDataDir } from '../../main/models/registry.ts';

export const SHARED_DIR = sharedDataDir();
/** CIFAR-10's 10,000 test images, <class>/NNNN.jpg, 1,000 per class. */
export const CIFAR_FULL_DIR = join(SHARED_DIR, 'datasets/cifar10-test');
export const MOBILENET_V2 = join(SHARED_DIR, 'models/mobilenet_v2_1.0_imagenet_features.onnx');
