// The one class-name rule (preload/contract/class-name.ts): a name the API refuses, a CSV label import
// run from the CLI refuses too, with the same words.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as v from 'valibot';
import { main } from '../../main/cli/index.ts';
import { createServices } from '../../main/app/services/index.ts';
import { ClassNameError, normalizeClassName } from '../../main/project/classes.ts';
import { ClassNameSchema, classNameProblem, MAX_CLASS_NAME_LENGTH } from '../../preload/contract/class-name.ts';
import { makeCifarSubset, makeTempDir } from '../helpers/cifar-subset.ts';

/** Runs the CLI in this process; what it prints to stdout. */
async function cli(...argv: string[]): Promise<{ code: number; stdout: string }> {
  const lines: string[] = [];
  const log = console.log;
  const error = console.error;
  console.log = (...a: unknown[]) => void lines.push(a.join(' '));
  console.error = () => {};
  try {
    return { code: await main(argv), stdout: lines.join('\n') };
  } finally {
    console.log = log;
    console.error = error;
  }
}

const tooLong = 'x'.repeat(MAX_CLASS_NAME_LENGTH + 1);
// (' outlier ' too, but a CSV label import reads that as the outlier mark.)
const refused = [tooLong, 'a/b', 'back\\slash', 'tab\there', '..', 'Unassigned'];

test('the rule: trimmed, 1..100 characters, no separators or control characters, no name exports write', () => {
  assert.equal(v.parse(ClassNameSchema, '  cat  '), 'cat');
  assert.equal(v.parse(ClassNameSchema, 'y'.repeat(MAX_CLASS_NAME_LENGTH)).length, MAX_CLASS_NAME_LENGTH);
  assert.equal(normalizeClassName(` ${'y'.repeat(MAX_CLASS_NAME_LENGTH)} `).length, MAX_CLASS_NAME_LENGTH);
  assert.match(classNameProblem('')!, /cannot be empty/);
  for (const name of refused) {
    const problem = classNameProblem(name.trim());
    assert.ok(problem, name);
    assert.equal(v.safeParse(ClassNameSchema, name).issues?.[0].message, problem, name);
    assert.throws(
      () => normalizeClassName(name),
      (err: unknown) => err instanceof ClassNameError && err.message === problem,
      name,
    );
  }
  assert.match(classNameProblem(tooLong)!, /longer than 100 characters/);
  assert.match(classNameProblem('outlier')!, /reserved/);
  assert.doesNotMatch(classNameProblem('tab\there')!, /\t/, 'a control character is shown escaped');
});

test('a name the API refuses, the CLI label import refuses with the same message', async () => {
  const images = makeCifarSubset(1, { classes: ['cat'] });
  const tmp = makeTempDir('spice-class-name-');
  const services = createServices({ platform: 'browser', stateDir: join(tmp.dir, 'state') });
  after(() => {
    services.dispose();
    images.cleanup();
    tmp.cleanup();
  });
  const projectDir = join(tmp.dir, 'project');
  assert.equal((await cli('import', images.dir, '--project', projectDir)).code, 0);
  const csv = join(tmp.dir, 'labels.csv');
  writeFileSync(csv, ['path,class', ...refused.map((name) => `cat/0000.jpg,"${name}"`)].join('\n'));
  const imported = await cli('labels', 'import', '--project', projectDir, csv, '--json');
  const report = JSON.parse(imported.stdout) as { rejected: Array<{ line: number; reason: string }> };
  assert.equal(report.rejected.length, refused.length);

  for (const [i, name] of refused.entries()) {
    const problem = classNameProblem(name.trim())!;
    assert.equal(report.rejected[i].reason, problem, `CLI, ${name}`);
    for (const [method, params] of [
      ['labels.createClass', { name }],
      ['corrections.move', { imageIds: [1], className: name }],
    ] as const) {
      const r = await services.dispatch(method, params);
      assert.deepEqual(
        r.ok ? null : r.error,
        { code: 'invalid-argument', message: `${method === 'labels.createClass' ? 'name' : 'className'}: ${problem}` },
        `API ${method}, ${name}`,
      );
    }
  }
});
