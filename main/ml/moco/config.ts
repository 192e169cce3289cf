// Pre-training settings: what the user may choose, the reference defaults, and checks with clear errors.
import { InputError } from '../../base/errors.ts';
import { DEFAULT_SEED } from '../../base/random.ts';

export type ResNetArch = 'resnet10' | 'resnet18' | 'resnet34';

export const RESNET_BLOCKS: Record<ResNetArch, readonly number[]> = {
  resnet10: [1, 1, 1, 1],
  resnet18: [2, 2, 2, 2],
  resnet34: [3, 4, 6, 3],
};

export interface EncoderSpec {
  arch: ResNetArch;
  /** Channels of the first stage; the stages have width, 2w, 4w, 8w. 64 is the reference ResNet. */
  width: number;
  /** 'small': 3x3 stride-1 stem without max-pool (CIFAR-sized images); 'large': 7x7 stride-2 stem + 3x3 max-pool. */
  stem: 'small' | 'large';
  /** Length of the feature vector the backbone outputs (8 x width). */
  featureDim: number;
}

export interface AugmentConfig {
  /** Random resized crop: fraction of the image area kept. */
  cropScale: [number, number];
  cropRatio: [number, number];
  /** Colour jitter strengths and the chance it is applied. */
  jitter: { brightness: number; contrast: number; saturation: number; hue: number; p: number };
  grayscaleP: number;
  /** Gaussian blur chance and sigma range, as a fraction of the image side (MoCo v2: 0.1-2 px at 224 px). */
  blur: { p: number; sigma: [number, number] };
  flipP: number;
}

export interface PretrainConfig {
  encoder: EncoderSpec;
  imageSize: number;
  batchSize: number;
  epochs: number;
  /** Peak learning rate of SGD; cosine-decayed to 0 over all steps. */
  lr: number;
  sgdMomentum: number;
  weightDecay: number;
  temperature: number;
  queueSize: number;
  /** Momentum of the key encoder's moving average. */
  keyMomentum: number;
  projDim: number;
  /** Batch-norm groups: the batch is normalised in this many slices and keys are shuffled across them (shuffle-BN on one device). */
  bnSplits: number;
  seed: number;
  augment: AugmentConfig;
  /** Per-channel mean and std of the project's pixels (0..1): how inputs are normalised, in training and as a backbone. */
  normalization: { mean: [number, number, number]; std: [number, number, number] };
}

export interface PretrainOptions {
  arch?: ResNetArch;
  width?: number;
  imageSize?: number;
  batchSize?: number;
  epochs: number;
  lr?: number;
  weightDecay?: number;
  temperature?: number;
  queueSize?: number;
  keyMomentum?: number;
  bnSplits?: number;
  seed?: number;
  blur?: boolean;
}

export const DEFAULT_ARCH: ResNetArch = 'resnet18';
export const DEFAULT_WIDTH = 64;
export const DEFAULT_BATCH = 128;
export const SMALL_STEM_MAX_SIZE = 64;

export class PretrainConfigError extends InputError {
  constructor(message: string) {
    super(message);
    this.name = 'PretrainConfigError';
  }
}

/** Image size when none is given: CIFAR-sized images train at their own size, bigger ones at 96 px. */
export function defaultImageSize(medianSide: number | null): number {
  if (medianSide !== null && medianSide <= SMALL_STEM_MAX_SIZE) return Math.max(16, Math.round(medianSide / 8) * 8);
  return 96;
}

export function resolvePretrainConfig(
  o: PretrainOptions,
  imageCount: number,
  medianSide: number | null,
  normalization: PretrainConfig['normalization'] = { mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] },
): PretrainConfig {
  const arch = o.arch ?? DEFAULT_ARCH;
  if (!(arch in RESNET_BLOCKS)) throw new PretrainConfigError(`unknown architecture '${arch}'; choose one of ${Object.keys(RESNET_BLOCKS).join(', ')}`);
  const width = int('width', o.width ?? DEFAULT_WIDTH, 2, 512);
  const imageSize = int('image size', o.imageSize ?? defaultImageSize(medianSide), 16, 512);
  const epochs = int('epochs', o.epochs, 1, 100_000);
  let batchSize = int('batch size', o.batchSize ?? DEFAULT_BATCH, 2, 4096);
  if (imageCount < 2) throw new PretrainConfigError(`pre-training needs at least 2 images in the project, it has ${imageCount}`);
  if (o.batchSize === undefined) batchSize = Math.min(batchSize, largestPowerOfTwoAtMost(imageCount));
  else if (batchSize > imageCount) throw new PretrainConfigError(`batch size ${batchSize} is larger than the ${imageCount} images in the project`);
  const bnSplits = o.bnSplits === undefined ? defaultBnSplits(batchSize) : int('batch-norm splits', o.bnSplits, 1, batchSize);
  if (batchSize % bnSplits !== 0) throw new PretrainConfigError(`batch size ${batchSize} must be a multiple of the batch-norm splits (${bnSplits})`);
  if (bnSplits > 1 && batchSize / bnSplits < 2) throw new PretrainConfigError(`each batch-norm split needs at least 2 images (batch ${batchSize}, splits ${bnSplits})`);
  const queueSize = o.queueSize === undefined ? defaultQueueSize(imageCount, batchSize) : int('queue size', o.queueSize, 1, 1 << 20);
  if (queueSize % batchSize !== 0) throw new PretrainConfigError(`queue size ${queueSize} must be a multiple of the batch size ${batchSize}`);
  const small = imageSize <= SMALL_STEM_MAX_SIZE;
  const lr = num('learning rate', o.lr ?? (0.03 * batchSize) / 256, 1e-6, 10);
  const weightDecay = num('weight decay', o.weightDecay ?? (small ? 5e-4 : 1e-4), 0, 1);
  const temperature = num('temperature', o.temperature ?? 0.2, 1e-3, 10);
  const keyMomentum = num('key momentum', o.keyMomentum ?? 0.99, 0, 1);
  const seed = int('seed', o.seed ?? DEFAULT_SEED, 0, 2 ** 31 - 1);
  // MoCo v2 blurs 224-px crops; on CIFAR-sized images the usual recipe leaves blur out.
  const blur = o.blur ?? !small;
  return {
    encoder: { arch, width, stem: small ? 'small' : 'large', featureDim: 8 * width },
    imageSize,
    batchSize,
    epochs,
    lr,
    sgdMomentum: 0.9,
    weightDecay,
    temperature,
    queueSize,
    keyMomentum,
    projDim: 128,
    bnSplits,
    seed,
    augment: {
      cropScale: [0.2, 1],
      cropRatio: [3 / 4, 4 / 3],
      jitter: { brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.1, p: 0.8 },
      grayscaleP: 0.2,
      blur: { p: blur ? 0.5 : 0, sigma: [0.1 / 224, 2 / 224] },
      flipP: 0.5,
    },
    normalization,
  };
}

/** Keys of about a quarter of the images (12,800 for CIFAR's 50,000 in the reference), a multiple of the batch. */
export function defaultQueueSize(imageCount: number, batchSize: number): number {
  const target = Math.min(65536, Math.floor(imageCount / 4));
  return Math.max(batchSize, Math.floor(target / batchSize) * batchSize);
}

/** Splits of at least 32 images, 2 to 8 of them, dividing the batch. */
export function defaultBnSplits(batchSize: number): number {
  if (batchSize < 8) return 1;
  let splits = Math.min(8, Math.max(2, Math.floor(batchSize / 32)));
  while (batchSize % splits !== 0) splits--;
  return Math.max(1, splits);
}

export function stepsPerEpoch(imageCount: number, batchSize: number): number {
  return Math.floor(imageCount / batchSize);
}

function largestPowerOfTwoAtMost(n: number): number {
  let p = 1;
  while (p * 2 <= n) p *= 2;
  return p;
}

function int(what: string, v: number, lo: number, hi: number): number {
  if (!Number.isInteger(v) || v < lo || v > hi) throw new PretrainConfigError(`${what} must be an integer from ${lo} to ${hi}, got ${v}`);
  return v;
}

function num(what: string, v: number, lo: number, hi: number): number {
  if (!Number.isFinite(v) || v < lo || v > hi) throw new PretrainConfigError(`${what} must be a number from ${lo} to ${hi}, got ${v}`);
  return v;
}
