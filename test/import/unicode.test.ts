// Names in any script, with spaces and emoji, import and resolve back to their files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { imageAbsolutePath, importFolder } from '../../main/pipeline/import/import-job.ts';
import { demoImage } from '../helpers/paths.ts';
import { makeTempDir } from '../helpers/cifar-subset.ts';
import { openProject } from '../../main/project/project.ts';

test('unicode folder and file names are stored as written, labelled and resolvable', async () => {
  const images = makeTempDir('spice-unicode-');
  const projectDir = makeTempDir('spice-unicode-project-');
  const project = openProject(projectDir.dir);
  try {
    // 'café' twice: composed (NFC) and decomposed (NFD) are different names on disk, so two folders.
    const files = ['café/東京 🐱.jpg', 'cafe\u0301/naïve.jpg', 'Ελληνικά/γάτα.png', '日本語/猫 (1).jpeg', 'emoji 😀/🐶🐕.webp'];
    files.forEach((rel, i) => {
      mkdirSync(join(images.dir, rel.split('/')[0]), { recursive: true });
      copyFileSync(demoImage('cat', i), join(images.dir, rel));
    });

    const summary = await importFolder(project, images.dir, { labelsFromFolders: true });
    assert.deepEqual(summary.errors, []);
    assert.equal(summary.added, files.length);

    const rows = project.db.prepare('SELECT rel_path, label FROM images').all() as Array<{ rel_path: string; label: string }>;
    assert.deepEqual(rows.map((r) => r.rel_path).sort(), [...files].sort());
    for (const r of rows) {
      assert.equal(r.label, r.rel_path.split('/')[0]);
      assert.deepEqual(readFileSync(imageAbsolutePath(project, r.rel_path)), readFileSync(join(images.dir, r.rel_path)));
    }
    assert.equal(new Set(rows.map((r) => r.label)).size, files.length, 'NFC and NFD folder names stay distinct');

    const again = await importFolder(project, images.dir, { labelsFromFolders: true });
    assert.deepEqual([again.added, again.alreadyPresent], [0, files.length]);
  } finally {
    project.close();
    images.cleanup();
    projectDir.cleanup();
  }
});
