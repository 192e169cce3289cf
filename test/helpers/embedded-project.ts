// A small CIFAR-10 project (from the shipped demo images), imported and embedded for real (MobileNet v1),
// cached in os.tmpdir() by its parameters and by a digest of the code and model that make it, so
// several test files (and test processes) build it once and a change to that code builds it again. Each test gets its own copy of
// the database, so runs, mappings and corrections written by one test never leak into another.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { openProject, projectDbPath, type Project } from '../../main/project/project.ts';
import { setMeta } from '../../main/db/connection.ts';
import { importFolder } from '../../main/pipeline/import/import-job.ts';
import { embedProject } from '../../main/pipeline/embed/embed-job.ts';
import { CIFAR_CLASSES, DEMO_PER_CLASS, MOBILENET_V1, demoImage } from './paths.ts';
import { codeDigest, fileDigest } from './code-hash.ts';

export interface EmbeddedProjectOptions {
  /** Images per class (default 30). */
  perClass?: number;
  /** CIFAR-10 classes to take (default all ten). */
  classes?: readonly string[];
  /** Index of the first file per class (default 0). */
  offset?: number;
  /** Backbone input size (default 128, the recommended size for 32-px images). */
  size?: number;
  /** Backbone spec passed to embedProject (default the shipped MobileNet v1 file). */
  backbone?: string;
  /** View bank (default none: plain view only); fixed views left out = none. */
  views?: { weak: number; strong: number; fixed?: number };
  seed?: number;
}

export interface EmbeddedProject {
  /** Folder of the cached source project (do not write to it; use copy()). */
  readonly cacheDir: string;
  /** Folder holding the images, laid out <class>/<file>.jpg. */
  readonly imagesDir: string;
  readonly backboneId: number;
  readonly backboneName: string;
  readonly count: number;
  readonly classes: readonly string[];
  /** A private, writable copy of the project; close it with the returned cleanup. */
  copy(): { project: Project; dir: string; cleanup(): void };
}

/**
 * What makes the cached project: importing, embedding, the model registry, the database schema and
 * this file, plus the native packages that decode and infer. Their digest is part of the cache key.
 */
const PRODUCER_CODE = [
  'main/base',
  'main/pipeline/import',
  'main/pipeline/embed',
  'main/models',
  'main/ml/onnx.ts',
  'main/db',
  'main/jobs',
  'main/project/project.ts',
  'test/helpers/embedded-project.ts',
];
const PRODUCER_PACKAGES = ['onnxruntime-node', 'sharp', 'better-sqlite3'];

export async function getEmbeddedProject(options: EmbeddedProjectOptions = {}): Promise<EmbeddedProject> {
  const backbone = options.backbone ?? MOBILENET_V1;
  const params = {
    perClass: options.perClass ?? 30,
    classes: [...(options.classes ?? CIFAR_CLASSES)],
    offset: options.offset ?? 0,
    size: options.size ?? 128,
    backbone,
    // fixed only when asked for, so the cache keys of banks without fixed views stay as they were.
    views: bankKey(options.views ?? { weak: 0, strong: 0 }),
    seed: options.seed ?? 0,
    // A changed model file must not reuse embeddings of the old one (a registry name has no file here).
    backboneDigest: existsSync(backbone) ? fileDigest(backbone) : null,
    code: codeDigest(PRODUCER_CODE, PRODUCER_PACKAGES),
  };
  if (params.offset + params.perClass > DEMO_PER_CLASS)
    throw new Error(`the demo set has ${DEMO_PER_CLASS} images per class; asked for ${params.perClass} from ${params.offset}`);
  const key = createHash('sha256').update(JSON.stringify(params)).digest('hex').slice(0, 16);
  // realpath: the project stores its image root resolved, so the cache path must be too.
  const cacheDir = join(realpathSync(tmpdir()), `spice-embedded-${key}`);
  const readyFile = join(cacheDir, 'ready.json');
  if (!existsSync(readyFile)) await build(cacheDir, params);
  const ready = JSON.parse(readFileSync(readyFile, 'utf8')) as { backboneId: number; backboneName: string; count: number };
  const imagesDir = join(cacheDir, 'images');
  return {
    cacheDir,
    imagesDir,
    backboneId: ready.backboneId,
    backboneName: ready.backboneName,
    count: ready.count,
    classes: params.classes,
    copy() {
      const dir = mkdtempSync(join(tmpdir(), 'spice-proj-'));
      copyFileSync(projectDbPath(join(cacheDir, 'project')), projectDbPath(dir));
      const project = openProject(dir);
      return {
        project,
        dir,
        cleanup: () => {
          try {
            project.close();
          } catch {
            // already closed by the test
          }
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  };
}

type BuildParams = {
  perClass: number;
  classes: string[];
  offset: number;
  size: number;
  backbone: string;
  views: { weak: number; strong: number; fixed?: number };
  seed: number;
};

function bankKey(v: { weak: number; strong: number; fixed?: number }): { weak: number; strong: number; fixed?: number } {
  return v.fixed ? { weak: v.weak, strong: v.strong, fixed: v.fixed } : { weak: v.weak, strong: v.strong };
}

/**
 * Builds everything in a scratch folder and renames it into place at the end, so a concurrent builder
 * or a crash never leaves half a cache (the loser of a race just drops its copy).
 */
async function build(cacheDir: string, params: BuildParams): Promise<void> {
  const scratch = mkdtempSync(`${cacheDir}.building-`);
  try {
    const scratchImages = join(scratch, 'images');
    for (const cls of params.classes) {
      mkdirSync(join(scratchImages, cls), { recursive: true });
      for (let i = params.offset; i < params.offset + params.perClass; i++) {
        const name = `${String(i).padStart(4, '0')}.jpg`;
        copyFileSync(demoImage(cls, i), join(scratchImages, cls, name));
      }
    }
    const project = openProject(join(scratch, 'project'));
    let ready: { backboneId: number; backboneName: string; count: number };
    try {
      const summary = await importFolder(project, scratchImages, { labelsFromFolders: true });
      if (summary.errors.length > 0) throw new Error(`test project import failed: ${JSON.stringify(summary.errors.slice(0, 3))}`);
      const embedded = await embedProject(project, {
        backbone: params.backbone,
        size: params.size,
        views: { ...params.views, fixed: params.views.fixed ?? 0 },
        seed: params.seed,
      });
      if (embedded.failed.length > 0) throw new Error(`test project embedding failed: ${JSON.stringify(embedded.failed.slice(0, 3))}`);
      const count = (project.db.prepare('SELECT COUNT(*) AS n FROM images').get() as { n: number }).n;
      ready = { backboneId: embedded.backboneId, backboneName: embedded.backboneName, count };
      // Relative image paths stay valid; only the root moves with the rename below.
      setMeta(project.db, 'image_root', join(cacheDir, 'images'));
    } finally {
      project.close();
    }
    writeFileSync(join(scratch, 'ready.json'), JSON.stringify(ready));
    try {
      renameSync(scratch, cacheDir);
    } catch (err) {
      if (!existsSync(join(cacheDir, 'ready.json'))) throw err;
      rmSync(scratch, { recursive: true, force: true });
    }
  } catch (err) {
    rmSync(scratch, { recursive: true, force: true });
    throw err;
  }
}
