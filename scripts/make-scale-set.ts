// Writes a large image set for scale tests from a labelled folder (<class>/<image>): N distinct images,
// each a deterministic variant of a source image (a crop at a seeded position and scale, a mirror on
// odd variants, a brightness/saturation/hue change), resized to --size px and saved as JPEG in its
// source's class folder. Every output has a distinct SHA-256; a collision is redrawn with a new seed.
// Usage: npm run make:scale-set -- --from <folder> --n 50000 [--size 96] --out <dir>
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { createRng } from '../main/base/random.ts';
import { sha256OfBytes } from '../main/pipeline/import/content-hash.ts';
import { CIFAR_FULL_DIR } from '../test/helpers/shared-data.ts';

const { values } = parseArgs({
  options: { from: { type: 'string' }, n: { type: 'string', default: '50000' }, size: { type: 'string', default: '96' }, out: { type: 'string' } },
});
if (!values.out) throw new Error('usage: npm run make:scale-set -- --from <folder> --n 50000 [--size 96] --out <dir>');
const from = values.from ?? CIFAR_FULL_DIR;
const total = Number(values.n);
const size = Number(values.size);
if (!Number.isInteger(total) || total < 1) throw new Error(`--n must be a positive integer, got ${values.n}`);
if (!Number.isInteger(size) || size < 8) throw new Error(`--size must be an integer of at least 8, got ${values.size}`);
if (existsSync(values.out) && readdirSync(values.out).length > 0) throw new Error(`${values.out} is not empty`);

const sources = listSources(from);
if (sources.length === 0) throw new Error(`no images under ${from}/<class>/`);
console.log(`${sources.length} source images in ${new Set(sources.map((s) => s.label)).size} classes -> ${total} images of ${size} px in ${values.out}`);

const hashes = new Set<string>();
let written = 0;
let redrawn = 0;
const t0 = performance.now();
let next = 0;
async function worker(): Promise<void> {
  while (next < total) {
    const index = next++;
    const source = sources[index % sources.length];
    const variant = Math.floor(index / sources.length);
    for (let attempt = 0; ; attempt++) {
      const bytes = await variantOf(source.path, index * 7919 + attempt * 104729, variant % 2 === 1);
      const hash = sha256OfBytes(bytes);
      if (hashes.has(hash)) {
        redrawn++;
        continue;
      }
      hashes.add(hash);
      const dir = join(values.out!, source.label);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, `${source.stem}-v${variant}.jpg`), bytes);
      break;
    }
    if (++written % 5000 === 0) console.log(`${written} / ${total} (${(written / ((performance.now() - t0) / 1000)).toFixed(0)} images/s)`);
  }
}
await Promise.all(Array.from({ length: availableParallelism() * 2 }, worker));
console.log(`wrote ${written} images in ${((performance.now() - t0) / 1000).toFixed(1)} s; ${redrawn} redrawn for a repeated hash`);

/** Crop 70-100 % of the side at a seeded place, maybe mirror, shift colour, resize, JPEG. */
async function variantOf(path: string, seed: number, mirror: boolean): Promise<Buffer> {
  const rng = createRng(seed);
  const image = sharp(path);
  const { width = 0, height = 0 } = await image.metadata();
  const side = Math.max(1, Math.round(Math.min(width, height) * (0.7 + 0.3 * rng.next())));
  const left = Math.floor(rng.next() * (width - side + 1));
  const top = Math.floor(rng.next() * (height - side + 1));
  let pipeline = image.extract({ left, top, width: side, height: side });
  if (mirror) pipeline = pipeline.flop();
  return pipeline
    .resize(size, size, { kernel: 'lanczos3' })
    .modulate({ brightness: 0.85 + 0.3 * rng.next(), saturation: 0.8 + 0.4 * rng.next(), hue: Math.round((rng.next() - 0.5) * 20) })
    .jpeg({ quality: 90 })
    .toBuffer();
}

function listSources(root: string): Array<{ path: string; label: string; stem: string }> {
  const out: Array<{ path: string; label: string; stem: string }> = [];
  for (const label of readdirSync(root).sort()) {
    const dir = join(root, label);
    if (!statSync(dir).isDirectory()) continue;
    for (const file of readdirSync(dir).sort()) {
      if (/\.(jpe?g|png|webp)$/i.test(file)) out.push({ path: join(dir, file), label, stem: file.replace(/\.[^.]+$/, '') });
    }
  }
  // Classes interleaved, so a set smaller than the source still has every class.
  return out.sort((a, b) => (a.stem < b.stem ? -1 : a.stem > b.stem ? 1 : a.label < b.label ? -1 : 1));
}
