// Imports a folder into a throw-away project and prints the rate.
// Usage: node --import tsx scripts/bench-import.ts [folder] [--concurrency N] [--vips-threads N]
// The folder defaults to the CIFAR-10 test set beside the checkout. The last line is one JSON object.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { openProject } from '../main/project/project.ts';
import { importFolder } from '../main/pipeline/import/import-job.ts';
import { CIFAR_FULL_DIR as CIFAR_DIR } from '../test/helpers/shared-data.ts';

const { values, positionals } = parseArgs({
  options: { concurrency: { type: 'string' }, 'vips-threads': { type: 'string' } },
  allowPositionals: true,
});
const folder = positionals[0] ?? CIFAR_DIR;
if (values['vips-threads']) sharp.concurrency(Number(values['vips-threads']));
const dir = mkdtempSync(join(tmpdir(), 'spice-bench-import-'));
const project = openProject(dir);
try {
  const t0 = performance.now();
  const s = await importFolder(project, folder, {
    labelsFromFolders: true,
    concurrency: values.concurrency ? Number(values.concurrency) : undefined,
  });
  const seconds = (performance.now() - t0) / 1000;
  console.log(
    `${s.added} images added from ${folder} in ${seconds.toFixed(1)} s (${(s.added / seconds).toFixed(0)} images/s); ` +
      `${s.duplicates} duplicates, ${s.errors.length} errors`,
  );
  console.log(
    JSON.stringify({
      folder,
      added: s.added,
      duplicates: s.duplicates,
      errors: s.errors.length,
      seconds: +seconds.toFixed(2),
      imagesPerSecond: +(s.added / seconds).toFixed(1),
      concurrency: values.concurrency ?? 'default',
      vipsThreads: sharp.concurrency(),
    }),
  );
} finally {
  project.close();
  rmSync(dir, { recursive: true, force: true });
}
