// Every accepted extension imports: CIFAR images converted to each format with sharp.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { importFolder, THUMBNAIL_MAX_SIDE } from '../../main/pipeline/import/import-job.ts';
import { demoImage } from '../helpers/paths.ts';
import { makeTempDir } from '../helpers/cifar-subset.ts';
import { openProject } from '../../main/project/project.ts';

// [file extension, sharp output format, stored format]
const FORMATS: Array<[string, 'jpeg' | 'png' | 'webp' | 'gif' | 'tiff' | 'avif', string]> = [
  ['jpg', 'jpeg', 'jpeg'],
  ['jpeg', 'jpeg', 'jpeg'],
  ['JPG', 'jpeg', 'jpeg'],
  ['png', 'png', 'png'],
  ['PNG', 'png', 'png'],
  ['webp', 'webp', 'webp'],
  ['gif', 'gif', 'gif'],
  ['tif', 'tiff', 'tiff'],
  ['tiff', 'tiff', 'tiff'],
  ['avif', 'avif', 'avif'],
];

interface StoredImage {
  rel_path: string;
  format: string;
  width: number;
  height: number;
  bytes: number;
  mime: string;
  t_width: number;
  t_height: number;
  data: Buffer;
}

test('JPEG, PNG, WebP, GIF, TIFF and AVIF files import with their size, format and a WebP thumbnail', async () => {
  const images = makeTempDir('spice-formats-');
  const projectDir = makeTempDir('spice-formats-project-');
  const project = openProject(projectDir.dir);
  try {
    mkdirSync(join(images.dir, 'formats'));
    const written: Array<{ name: string; format: string; bytes: number }> = [];
    for (const [i, [ext, outFormat, stored]] of FORMATS.entries()) {
      // A different source image per file, so no two files are duplicates of each other.
      const src = readFileSync(demoImage('airplane', i));
      const name = `formats/image-${i}.${ext}`;
      const info = await sharp(src).toFormat(outFormat).toFile(join(images.dir, name));
      written.push({ name, format: stored, bytes: info.size });
    }
    // Larger than a thumbnail, and stored sideways with an EXIF orientation tag (6 = rotate 90°).
    const src = readFileSync(demoImage('horse', 0));
    await sharp(src).resize(300, 200, { fit: 'fill' }).jpeg().withMetadata({ orientation: 6 }).toFile(join(images.dir, 'rotated.jpg'));
    await sharp(src).resize(500, 100, { fit: 'fill' }).png().toFile(join(images.dir, 'wide.png'));

    const summary = await importFolder(project, images.dir);
    assert.deepEqual(summary.errors, []);
    assert.equal(summary.added, FORMATS.length + 2);

    const rows = project.db
      .prepare(
        `SELECT i.rel_path, i.format, i.width, i.height, i.bytes, t.mime, t.width AS t_width, t.height AS t_height, t.data
         FROM images i JOIN thumbnails t ON t.image_id = i.id ORDER BY i.rel_path`,
      )
      .all() as StoredImage[];
    const byPath = new Map(rows.map((r) => [r.rel_path, r]));
    for (const w of written) {
      const r = byPath.get(w.name);
      assert.ok(r, `${w.name} imported`);
      assert.equal(r.format, w.format, `${w.name} format`);
      assert.deepEqual([r.width, r.height, r.bytes], [32, 32, w.bytes], `${w.name} size`);
      // 32-px images keep their size: thumbnails are never enlarged.
      assert.deepEqual([r.mime, r.t_width, r.t_height], ['image/webp', 32, 32], `${w.name} thumbnail`);
    }
    for (const r of rows) {
      const meta = await sharp(r.data).metadata();
      assert.deepEqual([meta.format, meta.width, meta.height], ['webp', r.t_width, r.t_height], `${r.rel_path} thumbnail decodes`);
      assert.ok(Math.max(r.t_width, r.t_height) <= THUMBNAIL_MAX_SIDE);
    }
    // The upright size is stored, and the thumbnail is upright too.
    const rotated = byPath.get('rotated.jpg')!;
    assert.deepEqual([rotated.width, rotated.height, rotated.t_width, rotated.t_height], [200, 300, 85, 128]);
    const wide = byPath.get('wide.png')!;
    assert.deepEqual([wide.width, wide.height, wide.t_width, wide.t_height], [500, 100, 128, 26]);
  } finally {
    project.close();
    images.cleanup();
    projectDir.cleanup();
  }
});
