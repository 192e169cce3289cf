// Worker thread: turns a batch of (file, view) items into one normalised input tensor, so decoding,
// augmentation and normalisation run beside inference instead of before it.
import { parentPort, workerData } from 'node:worker_threads';
import { augmentImage, viewRng, type AugmentConfig } from './view-augment.ts';
import { fixedViewImage, fixedViewName } from './fixed-views.ts';
import { decodeSmallImages, type SmallImageFile } from './decode-small.ts';
import { WORKER_READY } from './worker-pool.ts';
import { decodeWorking, fitsWithin, toInputSize, writeNormalised, type KnownSize, type PreprocessSpec, type RgbImage } from './preprocess.ts';

export interface DecodeWorkerInit {
  spec: PreprocessSpec;
  /** Null when no weak or strong views are computed (plain and fixed views need none). */
  augment: AugmentConfig | null;
  seed: number;
  /** Items of one request decoded at once (sharp runs them on libuv's pool). */
  concurrency: number;
}

export interface DecodeItem {
  path: string;
  imageId: number;
  /** 'plain', 'weak/<n>', 'strong/<n>' or 'fixed/<name>'. */
  view: string;
  /** The image's size as stored at import, when known. */
  size?: KnownSize;
}

export interface DecodeRequest {
  items: DecodeItem[];
  /** A tensor from an earlier reply to write into (transferred back), or none. */
  buffer?: Float32Array;
}

export interface DecodeResult {
  /** items.length x 3 x size x size (or NHWC), normalised; rows of failed items are undefined. */
  tensor: Float32Array;
  failed: Array<{ index: number; reason: string }>;
  /** Wall time this worker spent on the request. */
  busyMs: number;
}

export async function decodeBatch(init: DecodeWorkerInit, req: DecodeRequest): Promise<DecodeResult> {
  const started = performance.now();
  const { spec } = init;
  const per = 3 * spec.size * spec.size;
  const need = req.items.length * per;
  const tensor = req.buffer && req.buffer.length >= need ? req.buffer.subarray(0, need) : new Float32Array(need);
  const failed: DecodeResult['failed'] = [];
  // One decode per image, shared by all its views in this request; the small images all at once.
  const working = await decodeSmallSources(req.items, spec.size);
  let next = 0;
  const runOne = async (index: number) => {
    const item = req.items[index];
    try {
      writeNormalised(await toInputSize(await viewImage(init, item, working), spec.size), spec, tensor, index);
    } catch (err) {
      failed.push({ index, reason: (err instanceof Error ? err.message : String(err)).split('\n')[0] });
    }
  };
  const lane = async () => {
    while (next < req.items.length) await runOne(next++);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(init.concurrency, req.items.length)) }, lane));
  failed.sort((a, b) => a.index - b.index);
  return { tensor, failed, busyMs: performance.now() - started };
}

/** The source pixels of the images no larger than the input size, by image id (decode-small.ts). */
async function decodeSmallSources(items: readonly DecodeItem[], size: number): Promise<Map<number, Promise<RgbImage>>> {
  const small = new Map<number, SmallImageFile>();
  for (const item of items) {
    if (item.size && fitsWithin(item.size, size) && !small.has(item.imageId)) small.set(item.imageId, { path: item.path, ...item.size });
  }
  const decoded = await decodeSmallImages([...small.values()]);
  const ids = [...small.keys()];
  return new Map(decoded.map((result, i) => [ids[i], settled(result)]));
}

function settled(result: RgbImage | Error): Promise<RgbImage> {
  if (!(result instanceof Error)) return Promise.resolve(result);
  const rejected = Promise.reject(result);
  // Awaited by the image's views later in the batch; until then it must not count as unhandled.
  rejected.catch(() => undefined);
  return rejected;
}

/**
 * The view's pixels: at most size x size (writeNormalised enlarges smaller ones), built from the working
 * image: the source pixels of a small image (crops and cutout in source pixels, as the reference does on
 * 32-px images), else the image reduced to size x size.
 */
async function viewImage(init: DecodeWorkerInit, item: DecodeItem, working: Map<number, Promise<RgbImage>>): Promise<RgbImage> {
  const { size } = init.spec;
  let source = working.get(item.imageId);
  if (!source) {
    source = decodeWorking(item.path, size, item.size);
    working.set(item.imageId, source);
  }
  if (item.view === 'plain') return source;
  if (item.view.startsWith('fixed/')) return fixedViewImage(await source, fixedViewName(item.view));
  const kind = item.view.startsWith('weak/') ? 'weak' : item.view.startsWith('strong/') ? 'strong' : null;
  if (kind === null) throw new Error(`unknown view '${item.view}'`);
  if (!init.augment) throw new Error(`view '${item.view}' asked for without augmentation settings`);
  return augmentImage(await source, kind, init.augment, viewRng(init.seed, item.imageId, item.view));
}

if (parentPort && workerData && (workerData as { role?: string }).role === 'embed-decode') {
  const init = (workerData as { init: DecodeWorkerInit }).init;
  const port = parentPort;
  // Requests arrive ahead of need; work through them one at a time so the oldest is ready first.
  let chain: Promise<void> = Promise.resolve();
  port.on('message', (msg: { id: number; req: DecodeRequest }) => {
    chain = chain.then(async () => {
      try {
        const result = await decodeBatch(init, msg.req);
        port.postMessage({ id: msg.id, ok: true, result }, [result.tensor.buffer as ArrayBuffer]);
      } catch (err) {
        port.postMessage({ id: msg.id, ok: false, error: err instanceof Error ? err.message : String(err) });
      }
    });
  });
  port.postMessage(WORKER_READY);
}
