import { fileURLToPath } from 'node:url';
import { join, resolve } from 'node:path';

/** The repository root. */
export const REPO_DIR = resolve(fileURLToPath(new URL('../..', import.meta.url)));
/**
 * The demo images shipped in the repository (data/README.md): the first 100 images of each class of
 * the CIFAR-10 test split, laid out <class>/NNNN.jpg. Every test but the shared lane's reads these.
 */
export const DEMO_IMAGES_DIR = join(REPO_DIR, 'data/cifar10-demo');
/** Images per class in DEMO_IMAGES_DIR (files 0000.jpg..0099.jpg). */
export const DEMO_PER_CLASS = 100;
/** The default backbone shipped in models/ (registry name mobilenet_v1_imagenet). */
export const MOBILENET_V1 = join(REPO_DIR, 'models/mobilenet_v1_1.0_imagenet_features.onnx');
export const CIFAR_CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'] as const;

/** A demo image by class and index (0..99). */
export function demoImage(cls: string, index: number): string {
  if (!Number.isInteger(index) || index < 0 || index >= DEMO_PER_CLASS) throw new Error(`demo images are numbered 0..${DEMO_PER_CLASS - 1}, got ${index}`);
  return join(DEMO_IMAGES_DIR, cls, `${String(index).padStart(4, '0')}.jpg`);
}
