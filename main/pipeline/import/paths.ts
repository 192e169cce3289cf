import { realpathSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { Project } from '../../project/project.ts';
import { InputError } from '../../base/errors.ts';

/** Bad input to an import as a whole (missing folder, folder outside the image root). */
export class ImportInputError extends InputError {
  constructor(message: string) {
    super(message);
    this.name = 'ImportInputError';
  }
}

/**
 * Checks the folder to import and returns its real path with the project's image root. The first
 * import makes its folder the image root; later imports must lie inside it, because images are
 * stored by their path relative to that root.
 */
export function resolveImportFolder(project: Project, folder: string): { folder: string; root: string } {
  const abs = resolve(folder);
  let real: string;
  try {
    real = realpathSync(abs);
  } catch {
    throw new ImportInputError(`image folder ${abs} does not exist`);
  }
  if (!statSync(real).isDirectory()) throw new ImportInputError(`${abs} is a file, not a folder of images`);
  const root = project.imageRoot();
  if (root === null) {
    project.setImageRoot(real);
    return { folder: real, root: project.imageRoot()! };
  }
  if (!isInside(root, real)) {
    throw new ImportInputError(
      `${real} is outside this project's image folder ${root}. A project holds images from one folder tree: ` +
        `import a folder inside ${root}, or create a new project for the other images.`,
    );
  }
  return { folder: real, root };
}

export function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/** The stored form of a path under the root: relative, with '/' separators on every platform. */
export function toRelPath(root: string, path: string): string {
  const rel = relative(root, path);
  return rel === '' ? '.' : rel.split(sep).join('/');
}

/** Ground-truth label taken from a file's folder name (evaluation only). */
export function folderLabel(path: string): string {
  return basename(dirname(path));
}

/** Absolute path of an imported image, from its stored relative path. */
/** `rootOverride`: the imported folder seen at another place (a shard's pod mounts it elsewhere). */
export function imageAbsolutePath(project: Project, relPath: string, rootOverride?: string): string {
  const root = rootOverride ?? project.imageRoot();
  if (root === null) throw new Error('this project has no images yet (nothing imported)');
  const parts = relPath.split('/');
  if (parts.some((p) => p === '..') || isAbsolute(relPath)) throw new Error(`bad image path ${JSON.stringify(relPath)}`);
  return join(root, ...parts);
}
