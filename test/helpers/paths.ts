import { fileURLToPath } from 'node:url';
import { join, resolve } from 'node:path';

/** The repository root. */
export const REPO_DIR = resolve(fileURLToPath(new URL('../..', import.meta.url)));
/** Read-only test data beside the checkout (CI lays it beside the clone too). */
export const SHARED_DIR = process.env.SPICE_SHARED_DIR ?? resolve(REPO_DIR, '../shared');
export const CIFAR_DIR = join(SHARED_DIR, 'datasets/cifar10-test');
export const MOBILENET_V1 = join(SHARED_DIR, 'models/mobilenet_v1_1.0_imagenet_features.onnx');
export const MOBILENET_V2 = join(SHARED_DIR, 'models/mobilenet_v2_1.0_imagenet_features.onnx');
export const CIFAR_CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'] as const;
