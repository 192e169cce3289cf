import { test } from 'node:test';
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { nodeOrtRuntime, openOnnxModel, openSessionWithFallback, type ExecutionProvider, type OrtRuntime, type SessionLike } from '../../main/ml/onnx.ts';
import { MOBILENET_V1 } from '../helpers/paths.ts';

/** A runtime that reports the given providers and fails to create sessions on `failing` ones. */
function fakeRuntime(opts: { providers: string[]; libraries?: ExecutionProvider[]; failing?: Partial<Record<ExecutionProvider, string>> }) {
  const calls: Array<{ provider: ExecutionProvider; threads: number }> = [];
  const runtime: OrtRuntime = {
    listProviders: () => opts.providers.map((name) => ({ name, bundled: name === 'cpu' })),
    providerLibraryPresent: (p) => p === 'cpu' || (opts.libraries ?? []).includes(p),
    createSession: async (path, o) => {
      calls.push({ provider: o.provider, threads: o.threads });
      const failure = opts.failing?.[o.provider];
      if (failure) throw new Error(`${failure}\nsecond line of a native error`);
      // The real CPU session, so what is returned actually works.
      return nodeOrtRuntime.createSession(path, { ...o, provider: 'cpu' });
    },
  };
  return { runtime, calls };
}

async function release(s: SessionLike) {
  await s.release();
}

test('auto tries CUDA first and falls back to the CPU with the reason logged', async () => {
  const { runtime, calls } = fakeRuntime({ providers: ['cpu', 'cuda'], libraries: ['cuda'], failing: { cuda: 'CUDA driver version is insufficient' } });
  const logs: string[] = [];
  const opened = await openSessionWithFallback(MOBILENET_V1, { provider: 'auto', runtime, log: (m) => logs.push(m) });
  try {
    assert.equal(opened.provider, 'cpu');
    assert.deepEqual(
      calls.map((c) => c.provider),
      ['cuda', 'cpu'],
    );
    assert.equal(opened.skipped.length, 1);
    assert.equal(opened.skipped[0].reason, 'CUDA driver version is insufficient');
    assert.ok(
      logs.some((l) => l.includes('cuda') && l.includes('CUDA driver version is insufficient')),
      logs.join('\n'),
    );
    assert.ok(
      logs.some((l) => /running on CPU/.test(l)),
      logs.join('\n'),
    );
  } finally {
    await release(opened.session);
  }
});

test('auto uses CUDA when it works', async () => {
  const { runtime, calls } = fakeRuntime({ providers: ['cpu', 'cuda'], libraries: ['cuda'] });
  const logs: string[] = [];
  const opened = await openSessionWithFallback(MOBILENET_V1, { runtime, provider: 'auto', log: (m) => logs.push(m) });
  try {
    assert.equal(opened.provider, 'cuda');
    assert.deepEqual(
      calls.map((c) => c.provider),
      ['cuda'],
    );
    assert.ok(logs.some((l) => l.includes('CUDA (GPU)')));
  } finally {
    await release(opened.session);
  }
});

test('a CUDA provider that is unknown or not installed is skipped without trying it', async () => {
  for (const setup of [{ providers: ['cpu'] }, { providers: ['cpu', 'cuda'], libraries: [] as ExecutionProvider[] }]) {
    const { runtime, calls } = fakeRuntime(setup);
    const opened = await openSessionWithFallback(MOBILENET_V1, { runtime, provider: 'auto' });
    try {
      assert.equal(opened.provider, 'cpu');
      assert.deepEqual(
        calls.map((c) => c.provider),
        ['cpu'],
      );
      assert.match(opened.skipped[0].reason, /no 'cuda' provider|not installed/);
    } finally {
      await release(opened.session);
    }
  }
});

test('intra-op threads default to the number of cores', async () => {
  const { runtime, calls } = fakeRuntime({ providers: ['cpu'] });
  const opened = await openSessionWithFallback(MOBILENET_V1, { runtime, provider: 'auto' });
  await release(opened.session);
  assert.equal(calls[0].threads, availableParallelism());
});

test('an explicitly requested provider is never silently replaced', async () => {
  const { runtime } = fakeRuntime({ providers: ['cpu', 'cuda'], libraries: ['cuda'], failing: { cuda: 'no CUDA-capable device is detected' } });
  await assert.rejects(openSessionWithFallback(MOBILENET_V1, { runtime, provider: 'cuda' }), /cuda execution provider: no CUDA-capable device/);
  const missing = fakeRuntime({ providers: ['cpu'] });
  await assert.rejects(openSessionWithFallback(MOBILENET_V1, { runtime: missing.runtime, provider: 'cuda' }), /'cuda' was requested but is not available/);
});

test('SPICE_ORT_PROVIDER chooses the provider and a bad value is a clear error', async () => {
  const saved = process.env.SPICE_ORT_PROVIDER;
  try {
    process.env.SPICE_ORT_PROVIDER = 'gpu-please';
    await assert.rejects(openSessionWithFallback(MOBILENET_V1, { runtime: fakeRuntime({ providers: ['cpu'] }).runtime }), /SPICE_ORT_PROVIDER must be auto, cuda or cpu/);
    process.env.SPICE_ORT_PROVIDER = 'cpu';
    const { runtime, calls } = fakeRuntime({ providers: ['cpu', 'cuda'], libraries: ['cuda'] });
    const opened = await openSessionWithFallback(MOBILENET_V1, { runtime });
    await release(opened.session);
    assert.deepEqual(
      calls.map((c) => c.provider),
      ['cpu'],
    );
  } finally {
    if (saved === undefined) delete process.env.SPICE_ORT_PROVIDER;
    else process.env.SPICE_ORT_PROVIDER = saved;
  }
});

test('the real runtime opens the shared MobileNet and reports its input and output', async () => {
  const logs: string[] = [];
  const model = await openOnnxModel(MOBILENET_V1, { log: (m) => logs.push(m) });
  try {
    assert.ok(['cpu', 'cuda'].includes(model.provider));
    assert.deepEqual(model.inputs[0].shape, ['batch', 3, 'height', 'width']);
    assert.deepEqual(model.outputs[0].shape, ['batch', 1024]);
    assert.ok(
      logs.some((l) => l.startsWith('onnxruntime: running on')),
      logs.join('\n'),
    );
    const out = await model.run({ name: 'input', data: new Float32Array(2 * 3 * 64 * 64), dims: [2, 3, 64, 64] }, 'features');
    assert.deepEqual(out.dims, [2, 1024]);
  } finally {
    await model.close();
  }
});
