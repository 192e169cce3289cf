// Argument validation: typed checks per method; nothing a client sends crashes a service.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServices } from '../../main/app/services/index.ts';
import { ApiError } from '../../main/app/services/api-errors.ts';
import { validateCall } from '../../main/app/validate.ts';
import { PARAM_SCHEMAS } from '../../preload/contract/params.ts';
import { makeTempDir } from '../helpers/cifar-subset.ts';

test('valid params pass through typed; class names are trimmed', () => {
  assert.deepEqual(validateCall('clusters.images', { runId: 3, cluster: 0, sort: 'doubt', offset: 0, limit: 50 }), {
    runId: 3,
    cluster: 0,
    sort: 'doubt',
    offset: 0,
    limit: 50,
  });
  assert.deepEqual(validateCall('corrections.move', { imageIds: [1, 2], className: '  dog ' }), { imageIds: [1, 2], className: 'dog' });
  assert.equal(validateCall('app.info', undefined), undefined);
  assert.equal(validateCall('app.info', {}), undefined);
  assert.equal(validateCall('pipeline.jobs', undefined), undefined);
  assert.deepEqual(validateCall('mapping.setClusterName', { runId: 1, cluster: 2, className: null }), { runId: 1, cluster: 2, className: null });
  assert.deepEqual(validateCall('pipeline.startEmbed', { backbone: 'b', views: { weak: 1, strong: 0, fixed: 4 } }), {
    backbone: 'b',
    views: { weak: 1, strong: 0, fixed: 4 },
  });
  assert.deepEqual(
    validateCall('pipeline.startEmbed', { backbone: 'b', views: { weak: 1, strong: 0 } }),
    { backbone: 'b', views: { weak: 1, strong: 0 } },
    'fixed may be left out',
  );
});

test('wrong types, ranges, unknown keys and selector mix-ups are refused with the path of the fault', () => {
  const refuse = (method: string, params: unknown, pattern: RegExp) => {
    assert.throws(
      () => validateCall(method, params),
      (err: unknown) => err instanceof ApiError && err.code === 'invalid-argument' && pattern.test(err.message),
    );
  };
  refuse('clusters.images', { runId: 1, sort: 'doubt', offset: 0, limit: 5000, cluster: 1 }, /limit/);
  refuse('clusters.images', { runId: 1, sort: 'doubt', offset: 0, limit: 5, cluster: 1, className: 'x' }, /exactly one/);
  refuse('corrections.restore', { entries: [{ imageId: 1, className: 'x', outlier: 'no' }] }, /entries\[0\]\.outlier/);
  refuse('mapping.accept', { runId: 1, proposal: { runId: 1, from: 'oracle', entries: [], evidence: 0 } }, /proposal\.from/);
  refuse('projects.create', { dir: '/tmp/x', imageFolder: 'relative' }, /imageFolder/);
  refuse('projects.create', { dir: '/tmp/x\0y' }, /dir/);
  refuse('pipeline.startAll', { k: 1 }, /k/);
  refuse('pipeline.startAll', { k: 10, views: { weak: -1, strong: 0 } }, /views\.weak/);
  refuse('pipeline.startAll', { k: 10, views: { weak: 0, strong: 0, fixed: 5 } }, /views\.fixed/);
  refuse('pipeline.startEmbed', { backbone: 'x', views: { weak: 0, strong: 0, fixed: 1.5 } }, /views\.fixed/);
  refuse('image.detail', { imageId: 1, runId: 1, neighbours: 1e9 }, /neighbours/);
  refuse('export.labels', { runId: 1, format: 'xml' }, /format/);
  refuse('projects.open', { dir: '/tmp', constructor: 1 }, /unknown parameter/);
  refuse('corrections.move', { imageIds: [], className: 'x' }, /imageIds/);
  refuse('corrections.move', { imageIds: [1], className: 'a\nb' }, /className/);
});

test('messages name the path, what was expected and what came', () => {
  const message = (method: string, params: unknown) => {
    try {
      validateCall(method, params);
    } catch (err) {
      assert.ok(err instanceof ApiError && err.code === 'invalid-argument');
      return err.message;
    }
    assert.fail(`${method} accepted ${JSON.stringify(params)}`);
  };
  assert.equal(message('runs.metrics', {}), 'runId: expected an integer in 1..9007199254740991, got undefined');
  assert.equal(message('runs.metrics', null), 'params: expected an object, got null');
  assert.equal(message('runs.metrics', [1]), 'params: expected an object, got an array of 1 item');
  assert.equal(message('corrections.move', { imageIds: [1, 'x'], className: 'cat' }), 'imageIds[1]: expected an integer in 1..9007199254740991, got "x"');
  assert.equal(
    message('mapping.restore', { runId: 1, entries: [{ cluster: 0, className: 'a/b' }] }),
    "entries[0].className: class name 'a/b' holds a slash, backslash or control character",
  );
  assert.equal(message('pipeline.startCluster', { method: 'spice', k: 10, spice: { heads: 65 } }), 'spice.heads: expected an integer in 1..64, got 65');
  assert.equal(message('app.info', { x: 1 }), 'params: expected no parameters, got object');
  assert.equal(message('projects.open', { dir: '/tmp', extra: 1 }), 'extra: unknown parameter');
});

test('no method and no garbage makes dispatch throw or answer "internal"', async () => {
  const state = makeTempDir('spice-state-');
  const services = createServices({ platform: 'browser', stateDir: state.dir });
  after(() => {
    services.dispose();
    state.cleanup();
  });
  const garbage: unknown[] = [undefined, null, 0, -1, 1.5, NaN, 'x', '', [], [1], {}, { runId: '1' }, { runId: 1e308 }, { dir: {} }, { __proto__: { runId: 1 } }];
  for (const method of Object.keys(PARAM_SCHEMAS)) {
    if (method === 'projects.create' || method === 'app.chooseFolder') continue; // would touch the disk / a dialog
    for (const params of garbage) {
      const r = await services.dispatch(method, params);
      if (!r.ok) assert.notEqual(r.error.code, 'internal', `${method}(${JSON.stringify(params)}): ${r.error.message}`);
    }
  }
});
