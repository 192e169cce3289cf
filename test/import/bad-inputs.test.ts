// One test per class of file that cannot be imported: each is listed with its reason and every good
// image beside it is still imported.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { importFolder } from '../../main/pipeline/import/import-job.ts';
import { demoImage } from '../helpers/paths.ts';
import { assertImportedExactly, errorRows, makeImportFixture } from './import-fixtures.ts';

// Image 99 of a class is never one of the fixture's own (those are the first few).
const cifar = (cls: string, n: number) => readFileSync(demoImage(cls, n));

test('truncated JPEGs are listed as truncated', async () => {
  const fx = makeImportFixture();
  try {
    // Cut inside the entropy-coded body: a lenient decoder still returns pixels for it.
    const src = cifar('cat', 99);
    const tail = src.subarray(0, Math.floor(src.length * 0.9));
    await assert.doesNotReject(sharp(tail, { failOn: 'none' }).raw().toBuffer(), 'a lenient decode accepts the cut file');
    writeFileSync(join(fx.images, 'cat/cut-tail.jpg'), tail);
    const big = await sharp(src).resize(400, 300, { fit: 'fill' }).jpeg({ quality: 92 }).toBuffer();
    writeFileSync(join(fx.images, 'dog/cut-half.jpg'), big.subarray(0, Math.floor(big.length / 2)));

    const summary = await importFolder(fx.project, fx.images);
    assertImportedExactly(fx.project, summary, {
      images: fx.goodPaths,
      errors: [
        ['cat/cut-tail.jpg', 'truncated'],
        ['dog/cut-half.jpg', 'truncated'],
      ],
    });
  } finally {
    fx.cleanup();
  }
});

test('a zero-byte file is listed as empty file', async () => {
  const fx = makeImportFixture();
  try {
    writeFileSync(join(fx.images, 'cat/empty.jpg'), '');
    const summary = await importFolder(fx.project, fx.images);
    assertImportedExactly(fx.project, summary, { images: fx.goodPaths, errors: [['cat/empty.jpg', 'empty file']] });
  } finally {
    fx.cleanup();
  }
});

test('text named like an image is listed as not an image; SVG and broken image bytes get their own reasons', async () => {
  const fx = makeImportFixture();
  try {
    writeFileSync(join(fx.images, 'cat/notes.jpg'), 'shopping list: milk, eggs\n');
    writeFileSync(join(fx.images, 'dog/drawing.png'), '<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"><rect width="8" height="8"/></svg>');
    // A whole PNG with scrambled pixel data: an image the decoder cannot read, not "not an image".
    const png = await sharp(cifar('ship', 99)).png().toBuffer();
    const idat = png.indexOf('IDAT');
    for (let i = idat + 8; i < idat + 40; i++) png[i] ^= 0x5a;
    writeFileSync(join(fx.images, 'ship/noise.png'), png);
    writeFileSync(join(fx.images, 'ship/readme.txt'), 'not an image extension: ignored');

    const summary = await importFolder(fx.project, fx.images);
    assertImportedExactly(fx.project, summary, {
      images: fx.goodPaths,
      errors: [
        ['cat/notes.jpg', 'not an image'],
        ['dog/drawing.png', 'unsupported format'],
        ['ship/noise.png', 'corrupt'],
      ],
    });
  } finally {
    fx.cleanup();
  }
});

test('a real image over the pixel limit is listed as too many pixels', async () => {
  const fx = makeImportFixture();
  try {
    // CIFAR images are 32x32 = 1024 pixels: exactly at this limit, so they pass; 64x64 does not.
    await sharp(cifar('ship', 99)).resize(64, 64).png().toFile(join(fx.images, 'ship/large.png'));
    const summary = await importFolder(fx.project, fx.images, { maxPixels: 1024 });
    assertImportedExactly(fx.project, summary, { images: fx.goodPaths, errors: [['ship/large.png', 'too many pixels']] });
    assert.match(errorRows(fx.project).find((r) => r.rel_path === 'ship/large.png')!.detail!, /64×64/);
  } finally {
    fx.cleanup();
  }
});

test('headers claiming huge dimensions are refused without allocating the pixels', async () => {
  const fx = makeImportFixture();
  try {
    writeFileSync(join(fx.images, 'cat/huge.png'), pngClaiming(100_000, 100_000));
    writeFileSync(join(fx.images, 'dog/huge.jpg'), jpegClaiming(cifar('dog', 99), 65_000, 65_000));
    const rssBefore = process.memoryUsage().rss;
    const summary = await importFolder(fx.project, fx.images);
    const grownMiB = (process.memoryUsage().rss - rssBefore) / 2 ** 20;
    assertImportedExactly(fx.project, summary, {
      images: fx.goodPaths,
      errors: [
        ['cat/huge.png', 'too many pixels'],
        ['dog/huge.jpg', 'too many pixels'],
      ],
    });
    // Decoding either would need 12-30 GB.
    assert.ok(grownMiB < 500, `memory grew by ${grownMiB.toFixed(0)} MiB`);
  } finally {
    fx.cleanup();
  }
});

test('broken links, FIFOs and undecodable names are listed as unreadable; a folder named like an image is walked', async () => {
  const fx = makeImportFixture();
  try {
    symlinkSync(join(fx.images, 'nowhere.jpg'), join(fx.images, 'cat/gone.jpg'));
    symlinkSync(join(fx.images, 'no-such-folder'), join(fx.images, 'cat/old-link')); // not image-named: ignored
    execFileSync('mkfifo', [join(fx.images, 'dog/pipe.jpg')]);
    writeFileSync(Buffer.from(`${fx.images}/ship/bad-\xff-name.jpg`, 'latin1'), cifar('ship', 99));
    mkdirSync(join(fx.images, 'album.jpg'));
    copyFileSync(demoImage('frog', 99), join(fx.images, 'album.jpg/frog.jpg'));

    const summary = await importFolder(fx.project, fx.images);
    assertImportedExactly(fx.project, summary, {
      images: [...fx.goodPaths, 'album.jpg/frog.jpg'],
      errors: [
        ['cat/gone.jpg', 'unreadable'],
        ['dog/pipe.jpg', 'unreadable'],
        ['ship/bad-\ufffd-name.jpg', 'unreadable'],
      ],
    });
  } finally {
    fx.cleanup();
  }
});

test('symlink loops are listed and the walk still ends; a second link to a folder is walked once', async () => {
  const fx = makeImportFixture();
  try {
    symlinkSync('..', join(fx.images, 'cat/up'));
    symlinkSync('self.jpg', join(fx.images, 'self.jpg'));
    symlinkSync('pong', join(fx.images, 'ping'));
    symlinkSync('ping', join(fx.images, 'pong'));
    // Sorts before 'cat' but the real folder is walked first, so images keep their real paths.
    symlinkSync('cat', join(fx.images, 'aaa-alias'));

    const summary = await importFolder(fx.project, fx.images);
    assertImportedExactly(fx.project, summary, {
      images: fx.goodPaths,
      errors: [
        ['aaa-alias', 'duplicate folder'],
        ['cat/up', 'symlink loop'],
        ['ping', 'symlink loop'],
        ['pong', 'symlink loop'],
        ['self.jpg', 'symlink loop'],
      ],
    });
  } finally {
    fx.cleanup();
  }
});

test('a file with the same bytes as an imported image is listed as a duplicate of it', async () => {
  const fx = makeImportFixture();
  try {
    mkdirSync(join(fx.images, 'copies'));
    copyFileSync(join(fx.images, 'cat/0000.jpg'), join(fx.images, 'copies/cat-again.jpg'));
    // A link to a file sorts first, but links are followed after the real tree, so the real file is the original.
    symlinkSync(join(fx.images, 'dog/0001.jpg'), join(fx.images, '0-favourite.jpg'));

    const summary = await importFolder(fx.project, fx.images, { labelsFromFolders: true });
    assertImportedExactly(fx.project, summary, {
      images: fx.goodPaths,
      errors: [],
      duplicates: [
        ['0-favourite.jpg', 'dog/0001.jpg'],
        ['copies/cat-again.jpg', 'cat/0000.jpg'],
      ],
    });
    const labels = fx.project.db.prepare('SELECT DISTINCT label FROM images ORDER BY label').pluck().all();
    assert.deepEqual(labels, ['cat', 'dog', 'ship']);
  } finally {
    fx.cleanup();
  }
});

/** A valid PNG signature and IHDR claiming width x height RGB, with a token IDAT: no real pixels. */
function pngClaiming(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const out = Buffer.alloc(body.length + 8);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc32(body), body.length + 4);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  return Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(Buffer.alloc(64))), chunk('IEND', Buffer.alloc(0))]);
}

/** A real JPEG whose start-of-frame header is rewritten to claim width x height. */
function jpegClaiming(jpeg: Buffer, width: number, height: number): Buffer {
  const out = Buffer.from(jpeg);
  for (let i = 2; i + 9 < out.length;) {
    assert.equal(out[i], 0xff, 'walking JPEG markers');
    const marker = out[i + 1];
    if (marker >= 0xc0 && marker <= 0xc3) {
      out.writeUInt16BE(height, i + 5);
      out.writeUInt16BE(width, i + 7);
      return out;
    }
    i += 2 + out.readUInt16BE(i + 2);
  }
  throw new Error('no start-of-frame marker found');
}
