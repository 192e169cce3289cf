import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initTfBackend, tf } from '../../main/ml/tf-backend.ts';

// The app's info request and a training job can ask for the backend at the same moment. Before the
// loads were serialised, the second tf.setBackend made tfjs fall back to its plain JavaScript backend.
test('backend requests that arrive together all get the WebAssembly backend', async () => {
  const infos = await Promise.all([initTfBackend('auto'), initTfBackend('auto'), initTfBackend('wasm')]);
  assert.deepEqual(
    infos.map((i) => i.name),
    ['wasm', 'wasm', 'wasm'],
  );
  assert.equal(tf.getBackend(), 'wasm');
  assert.equal(await initTfBackend(), infos[0], 'a later request reuses the loaded backend');
});
