// The error hierarchy (main/base/errors.ts) and the one place it becomes API error codes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError, toErrorShape } from '../../main/app/services/api-errors.ts';
import { AppError, CancelledError, ConflictError, InputError, NotFoundError } from '../../main/base/errors.ts';
import { ProjectDatabaseError } from '../../main/db/database-errors.ts';
import { JobCancelledError } from '../../main/jobs/runner.ts';
import { ClassNameError } from '../../main/project/classes.ts';
import { ImportInputError } from '../../main/pipeline/import/import-job.ts';
import { UnknownImageError } from '../../main/pipeline/label/person-labels.ts';

test('each kind of error maps to its API code by class, keeping its message', () => {
  const cases: Array<[unknown, string, string]> = [
    [new ApiError('no-project', 'open a project first'), 'no-project', 'open a project first'],
    [new InputError('bad k'), 'invalid-argument', 'bad k'],
    [new ClassNameError('a class name cannot be empty'), 'invalid-argument', 'a class name cannot be empty'],
    [new ImportInputError('no folder'), 'invalid-argument', 'no folder'],
    [new NotFoundError('no run 9'), 'not-found', 'no run 9'],
    [new UnknownImageError(7), 'not-found', 'there is no image 7'],
    [new ConflictError('busy'), 'conflict', 'busy'],
    [new CancelledError(), 'conflict', 'cancelled'],
    [new JobCancelledError(), 'conflict', 'cancelled'],
    [new ProjectDatabaseError('/p/project.sqlite', 'missing', 'gone'), 'not-found', 'gone'],
    [new ProjectDatabaseError('/p/project.sqlite', 'damaged', 'damaged'), 'conflict', 'damaged'],
    [Object.assign(new Error('attempt to write a readonly database'), { code: 'SQLITE_READONLY' }), 'conflict', 'this project is open read-only'],
    [new RangeError('Invalid array length'), 'internal', 'Invalid array length'],
    [new Error('boom'), 'internal', 'boom'],
    ['thrown string', 'internal', 'thrown string'],
  ];
  for (const [err, code, message] of cases) {
    const shape = toErrorShape(err);
    assert.deepEqual(Object.keys(shape), ['code', 'message'], 'the wire shape is { code, message }');
    assert.equal(shape.code, code, String(err));
    assert.ok(shape.message.startsWith(message), `${String(err)}: ${shape.message}`);
  }
});

test('the hierarchy is matched with instanceof: every kind is an AppError with its kind', () => {
  assert.ok(new JobCancelledError() instanceof CancelledError);
  assert.ok(new ClassNameError('x') instanceof InputError);
  assert.ok(new UnknownImageError(1) instanceof NotFoundError);
  assert.ok(new ProjectDatabaseError('f', 'busy', 'm') instanceof AppError);
  assert.deepEqual(
    [new InputError('m'), new NotFoundError('m'), new ConflictError('m'), new CancelledError(), new ProjectDatabaseError('f', 'missing', 'm')].map((e) => e.kind),
    ['input', 'not-found', 'conflict', 'cancelled', 'not-found'],
  );
});
