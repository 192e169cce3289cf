import { mkdtempSync, mkdirSync, copyFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CIFAR_CLASSES, DEMO_PER_CLASS, demoImage } from './paths.ts';

/**
 * Copies `perClass` of the shipped demo images of each CIFAR-10 class (or of `classes`) into a fresh
 * temp folder laid out as <class>/<file>.jpg, so tests can add bad files beside real ones.
 */
export function makeCifarSubset(perClass: number, options: { classes?: readonly string[]; offset?: number } = {}): { dir: string; cleanup(): void; count: number } {
  const dir = mkdtempSync(join(tmpdir(), 'spice-cifar-'));
  const classes = options.classes ?? CIFAR_CLASSES;
  const offset = options.offset ?? 0;
  if (offset + perClass > DEMO_PER_CLASS) throw new Error(`the demo set has ${DEMO_PER_CLASS} images per class; asked for ${perClass} from ${offset}`);
  for (const cls of classes) {
    mkdirSync(join(dir, cls));
    for (let i = offset; i < offset + perClass; i++) {
      const name = `${String(i).padStart(4, '0')}.jpg`;
      copyFileSync(demoImage(cls, i), join(dir, cls, name));
    }
  }
  return { dir, count: classes.length * perClass, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function makeTempDir(prefix = 'spice-test-'): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
