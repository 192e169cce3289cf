import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createDotKernel } from '../../main/pipeline/cluster/dot-kernel.ts';
import { createRng } from '../../main/base/random.ts';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
// @ts-expect-error a plain JavaScript build script, without types
import { WAT_SOURCES, assembleWat, wasmModuleSource } from '../../scripts/wat.mjs';

/** Dots in float64, the reference. */
function exactDots(data: Float32Array, n: number, centers: Float32Array, k: number, dim: number): Float64Array {
  const out = new Float64Array(n * k);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < k; j++) {
      let s = 0;
      for (let d = 0; d < dim; d++) s += data[i * dim + d] * centers[j * dim + d];
      out[i * k + j] = s;
    }
  return out;
}

test('dot kernel: WebAssembly SIMD and JS agree with float64 dots for every dim shape', () => {
  const rng = createRng(5);
  // Multiples of 16 (main loop only), of 4 (tail loop), and others (JS only).
  for (const dim of [4, 12, 16, 20, 64, 100, 1024, 1280, 3, 7, 1023]) {
    const n = 23;
    const k = 6;
    const data = Float32Array.from({ length: n * dim }, () => rng.next() - 0.5);
    const centers = Float32Array.from({ length: k * dim }, () => rng.next() - 0.5);
    const want = exactDots(data, n, centers, k, dim);
    const engines = dim % 4 === 0 ? (['wasm-simd', 'js'] as const) : (['js'] as const);
    for (const engine of engines) {
      const kernel = createDotKernel(data, n, dim, k, { engine });
      assert.equal(kernel.engine, engine);
      kernel.centers.set(centers);
      const all = kernel.allDots(k);
      const tol = 1e-6 * Math.sqrt(dim) * 4;
      for (let i = 0; i < n * k; i++) assert.ok(Math.abs(all[i] - want[i]) < tol, `${engine} dim ${dim} [${i}]: ${all[i]} vs ${want[i]}`);
      const row = kernel.rowDots(7, k);
      for (let j = 0; j < k; j++) assert.ok(Math.abs(row[j] - want[7 * k + j]) < tol);
      assert.ok(Math.abs(kernel.dot(22, 5) - want[22 * k + 5]) < tol);
      // Fewer centres than the room made for them.
      assert.equal(kernel.allDots(2).length, n * 2);
    }
  }
});

test('dot kernel: picks WebAssembly SIMD when it can, JS for odd dims', () => {
  assert.equal(createDotKernel(new Float32Array(8), 2, 4, 1).engine, 'wasm-simd');
  assert.equal(createDotKernel(new Float32Array(6), 2, 3, 1).engine, 'js');
  assert.equal(createDotKernel(new Float32Array(8), 2, 4, 1, { engine: 'js' }).engine, 'js');
});

test('each committed WebAssembly module is what its .wat source assembles to (run `npm run build:wasm` after editing a .wat)', async () => {
  const root = join(import.meta.dirname, '..', '..');
  for (const { source, module } of WAT_SOURCES as { source: string; module: string }[]) {
    const bytes: Uint8Array<ArrayBuffer> = await assembleWat(source);
    assert.ok(WebAssembly.validate(bytes), `${source} assembles to a valid module`);
    assert.equal(readFileSync(join(root, module), 'utf8'), wasmModuleSource(source, bytes), `${module} is out of date`);
  }
});
