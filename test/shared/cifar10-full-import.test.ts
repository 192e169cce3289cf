// The whole CIFAR-10 test split (10,000 images, only in ../shared) imports in one go with its folder
// labels: every image stored once with a thumbnail, 1,000 per class, nothing refused.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { openProject, type Project } from '../../main/project/project.ts';
import { importFolder } from '../../main/pipeline/import/import-job.ts';
import { makeTempDir } from '../helpers/cifar-subset.ts';
import { CIFAR_CLASSES } from '../helpers/paths.ts';
import { CIFAR_FULL_DIR, sharedLaneSkip } from '../helpers/shared-lane.ts';

// Each test carries the skip, so the runner's summary counts what the shared lane skipped.
const skip = sharedLaneSkip(CIFAR_FULL_DIR);

describe('the 10,000 CIFAR-10 test images', () => {
  const temp = makeTempDir('spice-c10k-');
  let project: Project | null = null;
  after(() => {
    project?.close();
    temp.cleanup();
  });

  it('import with folder labels: 10 classes of 1,000, every image with a thumbnail, no errors', { skip, timeout: 600_000 }, async () => {
    project = openProject(join(temp.dir, 'project'));
    const summary = await importFolder(project, CIFAR_FULL_DIR, { labelsFromFolders: true });
    assert.deepEqual(summary.errors, []);
    assert.equal(summary.duplicates, 0);
    assert.equal(summary.added, 10_000);
    const perLabel = project.db.prepare('SELECT label, COUNT(*) AS n FROM images GROUP BY label ORDER BY label').all() as Array<{ label: string; n: number }>;
    assert.deepEqual(
      perLabel,
      CIFAR_CLASSES.map((label) => ({ label, n: 1000 })),
    );
    const thumbs = (project.db.prepare('SELECT COUNT(*) AS n FROM thumbnails').get() as { n: number }).n;
    assert.equal(thumbs, 10_000);
    const again = await importFolder(project, CIFAR_FULL_DIR, { labelsFromFolders: true });
    assert.deepEqual([again.added, again.alreadyPresent], [0, 10_000], 'a second import adds nothing');
  });
});
