import { existsSync, mkdirSync, readdirSync, statSync, symlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from '../command.ts';
import { CliError, optionalInt } from '../command.ts';
import { openProject } from '../../project/project.ts';
import { hasImageExtension } from '../../pipeline/import/extensions.ts';
import { runAndReport } from './run.ts';
import { DEFAULT_BACKBONE } from '../../app/full-pipeline.ts';
import { serveCommand } from './serve.ts';

const usage = 'spice-workbench demo [--images <folder>] [--model <onnx-file-or-registry-name>] [--per-class <n>] [--project <dir>] [--k <n>] [--no-serve]';
const REPO_DIR = fileURLToPath(new URL('../../..', import.meta.url));
/** The demo images shipped in the repository (data/README.md): 100 per class of CIFAR-10's test split. */
const DEFAULT_IMAGES = join(REPO_DIR, 'data', 'cifar10-demo');
const DEFAULT_PER_CLASS = 100;

export const demoCommand: Command = {
  name: 'demo',
  usage,
  summary: 'Run the whole pipeline on the shipped demo images and backbone (or yours), then open the result in browser mode.',
  options: {
    images: { type: 'string' },
    model: { type: 'string' },
    'per-class': { type: 'string' },
    project: { type: 'string' },
    k: { type: 'string' },
    'no-serve': { type: 'boolean' },
  },
  async run(args) {
    const images = resolve((args.values.images as string | undefined) ?? process.env.SPICE_DEMO_IMAGES ?? DEFAULT_IMAGES);
    if (!existsSync(images) || !statSync(images).isDirectory()) {
      throw new CliError(`no demo images at ${images}: give a folder of images with --images <folder> (one sub-folder per class adds an evaluation)`);
    }
    const perClass = optionalInt(args, 'per-class') ?? DEFAULT_PER_CLASS;
    if (perClass < 1) throw new CliError('--per-class must be at least 1', 2);
    const projectDir = resolve((args.values.project as string | undefined) ?? 'demo-project');
    const { folder, classes } = linkDemoSubset(images, join(projectDir, 'demo-images'), perClass);
    const k = optionalInt(args, 'k') ?? Math.max(2, classes);
    console.error(`demo: ${folder} (${classes ? `${classes} classes, up to ${perClass} images each` : 'one folder'}), project ${projectDir}, k=${k}`);

    const project = openProject(projectDir);
    let code: number;
    try {
      const backbone = (args.values.model as string | undefined) ?? DEFAULT_BACKBONE;
      code = await runAndReport(project, { imageFolder: folder, labelsFromFolders: classes > 0, k, backbone });
    } finally {
      project.close();
    }
    if (code !== 0 || args.values['no-serve']) return code;
    return serveCommand.run({ values: { project: projectDir }, positionals: [] });
  },
};

/**
 * Builds <target>/<class>/<file> as symbolic links to the first `perClass` images of each class folder
 * of `source` (the demo never copies or changes the source). A folder without class folders is
 * imported as it is. Returns the folder to import and the number of classes found.
 */
function linkDemoSubset(source: string, target: string, perClass: number): { folder: string; classes: number } {
  const classDirs = readdirSync(source, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
  if (classDirs.length === 0) return { folder: source, classes: 0 };
  for (const cls of classDirs) {
    mkdirSync(join(target, cls), { recursive: true });
    const files = readdirSync(join(source, cls)).filter(hasImageExtension).sort().slice(0, perClass);
    for (const f of files) {
      const link = join(target, cls, f);
      if (!existsSync(link)) symlinkSync(join(source, cls, f), link);
    }
  }
  return { folder: target, classes: classDirs.length };
}
