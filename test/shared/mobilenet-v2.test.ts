// The second registry backbone (MobileNet v2, only in ../shared) is found by name, embeds real images
// into unit-length 1280-d vectors, and its nearest neighbours mostly share a class.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { openProject, type Project } from '../../main/project/project.ts';
import { importFolder } from '../../main/pipeline/import/import-job.ts';
import { embedProject } from '../../main/pipeline/embed/embed-job.ts';
import { loadEmbeddingMatrix } from '../../main/db/embeddings-repo.ts';
import { makeCifarSubset, makeTempDir } from '../helpers/cifar-subset.ts';
import { MOBILENET_V2, sharedLaneSkip } from '../helpers/shared-lane.ts';

// Each test carries the skip, so the runner's summary counts what the shared lane skipped.
const skip = sharedLaneSkip(MOBILENET_V2);

describe('MobileNet v2 from ../shared', () => {
  const classes = ['airplane', 'frog', 'truck'];
  const images = makeCifarSubset(10, { classes });
  const temp = makeTempDir('spice-v2-');
  let project: Project | null = null;
  after(() => {
    project?.close();
    images.cleanup();
    temp.cleanup();
  });

  it('resolves by registry name, embeds at 224 px, and neighbours agree on the class', { skip, timeout: 300_000 }, async () => {
    project = openProject(join(temp.dir, 'project'));
    await importFolder(project, images.dir, { labelsFromFolders: true });
    const summary = await embedProject(project, { backbone: 'mobilenet_v2_imagenet', size: 224 });
    assert.equal(summary.backboneName, 'mobilenet_v2_imagenet');
    assert.deepEqual(summary.failed, []);
    const m = loadEmbeddingMatrix(project.db, summary.backboneId, 'plain');
    assert.equal(m.dim, 1280);
    assert.equal(m.imageIds.length, images.count);
    const labelOf = new Map((project.db.prepare('SELECT id, label FROM images').all() as Array<{ id: number; label: string }>).map((r) => [r.id, r.label]));
    let agree = 0;
    for (let i = 0; i < m.imageIds.length; i++) {
      const row = m.data.subarray(i * m.dim, (i + 1) * m.dim);
      assert.ok(Math.abs(Math.hypot(...row) - 1) < 1e-4, 'L2-normalised');
      let best = -Infinity;
      let nearest = -1;
      for (let j = 0; j < m.imageIds.length; j++) {
        if (j === i) continue;
        let dot = 0;
        for (let d = 0; d < m.dim; d++) dot += row[d] * m.data[j * m.dim + d];
        if (dot > best) [best, nearest] = [dot, j];
      }
      if (labelOf.get(m.imageIds[i]) === labelOf.get(m.imageIds[nearest])) agree++;
    }
    // Three unrelated classes: chance is 1 in 3.
    assert.ok(agree / m.imageIds.length >= 0.6, `${agree} of ${m.imageIds.length} nearest neighbours share the class`);
  });
});
