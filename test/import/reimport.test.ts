// Importing again adds only what is new, retries what failed, and never re-decodes what is stored.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { importFolder, ImportInputError } from '../../main/pipeline/import/import-job.ts';
import { JobCancelledError } from '../../main/jobs/runner.ts';
import { demoImage } from '../helpers/paths.ts';
import { makeTempDir } from '../helpers/cifar-subset.ts';
import { assertImportedExactly, makeImportFixture } from './import-fixtures.ts';

const cifarPath = demoImage;

test('re-import adds new files, skips stored paths without decoding them, and retries failures', async () => {
  const fx = makeImportFixture();
  try {
    const first = await importFolder(fx.project, fx.images, { labelsFromFolders: true });
    assert.deepEqual([first.added, first.alreadyPresent], [fx.goodCount, 0]);

    copyFileSync(cifarPath('cat', 99), join(fx.images, 'cat/new.jpg'));
    const good = readFileSync(cifarPath('dog', 99));
    writeFileSync(join(fx.images, 'dog/later-fixed.jpg'), good.subarray(0, good.length - 100));
    writeFileSync(join(fx.images, 'ship/later-deleted.jpg'), '');
    const second = await importFolder(fx.project, fx.images, { labelsFromFolders: true });
    assert.deepEqual([second.added, second.alreadyPresent], [1, fx.goodCount]);
    assertImportedExactly(fx.project, second, {
      images: [...fx.goodPaths, 'cat/new.jpg'],
      errors: [
        ['dog/later-fixed.jpg', 'truncated'],
        ['ship/later-deleted.jpg', 'empty file'],
      ],
    });

    // A stored path is not read again: garbage written over it goes unnoticed. The failed file is
    // retried, and the error of a file that is gone is dropped.
    writeFileSync(join(fx.images, 'cat/0000.jpg'), 'overwritten with text');
    writeFileSync(join(fx.images, 'dog/later-fixed.jpg'), good);
    rmSync(join(fx.images, 'ship/later-deleted.jpg'));
    const third = await importFolder(fx.project, fx.images, { labelsFromFolders: true });
    assert.deepEqual([third.added, third.alreadyPresent, third.clearedErrors], [1, fx.goodCount + 1, 1]);
    assertImportedExactly(fx.project, third, { images: [...fx.goodPaths, 'cat/new.jpg', 'dog/later-fixed.jpg'], errors: [] });

    const jobs = fx.project.jobs.list().map((j) => [j.kind, j.state]);
    assert.deepEqual(jobs, [
      ['import', 'done'],
      ['import', 'done'],
      ['import', 'done'],
    ]);
  } finally {
    fx.cleanup();
  }
});

test('a subfolder of the image root imports under its root-relative path; a folder outside is refused', async () => {
  const fx = makeImportFixture();
  const other = makeTempDir('spice-other-images-');
  try {
    const sub = await importFolder(fx.project, join(fx.images, 'cat'), { labelsFromFolders: true });
    assert.equal(sub.added, 2);
    // The first import fixed the image root at the cat folder; the parent is outside it.
    await assert.rejects(importFolder(fx.project, fx.images), (err: unknown) => err instanceof ImportInputError && /outside/.test(err.message));
    await assert.rejects(importFolder(fx.project, other.dir), ImportInputError);
    await assert.rejects(importFolder(fx.project, join(fx.images, 'no-such-folder')), /does not exist/);
    assert.deepEqual(fx.project.db.prepare('SELECT rel_path FROM images ORDER BY rel_path').pluck().all(), ['0000.jpg', '0001.jpg']);
  } finally {
    fx.cleanup();
    other.cleanup();
  }
});

test('a cancelled import keeps what it finished and the rerun completes it', async () => {
  // Enough files, decoded one at a time, that the run is still going when the first throttled
  // (100 ms) progress event arrives, even on a fast machine.
  const fx = makeImportFixture(40, ['airplane', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck']);
  try {
    const controller = new AbortController();
    const stop = fx.project.jobs.onEvent((e) => {
      if (e.type === 'progress' && e.progress.stage === 'import' && e.progress.done >= 10) controller.abort();
    });
    await assert.rejects(importFolder(fx.project, fx.images, { signal: controller.signal, batchSize: 4, concurrency: 1 }), JobCancelledError);
    stop();
    const kept = fx.project.db.prepare('SELECT COUNT(*) FROM images').pluck().get() as number;
    assert.ok(kept >= 10 && kept < fx.goodCount, `kept ${kept} of ${fx.goodCount}`);

    const rerun = await importFolder(fx.project, fx.images);
    assert.deepEqual([rerun.added, rerun.alreadyPresent], [fx.goodCount - kept, kept]);
    assertImportedExactly(fx.project, rerun, { images: fx.goodPaths, errors: [] });
    const [second, first] = fx.project.jobs.list();
    assert.deepEqual([first.state, second.state, second.resumedFrom], ['cancelled', 'done', first.id]);
  } finally {
    fx.cleanup();
  }
});

test('importing an empty folder records nothing and succeeds', async () => {
  const empty = makeTempDir('spice-empty-images-');
  const fx = makeImportFixture(1, ['cat']);
  try {
    const summary = await importFolder(fx.project, empty.dir);
    assert.deepEqual(summary, {
      folder: summary.folder,
      imageRoot: summary.imageRoot,
      scanned: 0,
      added: 0,
      alreadyPresent: 0,
      duplicates: 0,
      errors: [],
      clearedErrors: 0,
    });
  } finally {
    fx.cleanup();
    empty.cleanup();
  }
});
