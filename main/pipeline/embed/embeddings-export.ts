// Stored embeddings of one backbone and view as a NumPy matrix plus a CSV saying which image each row is.
import { existsSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Project } from '../../project/project.ts';
import { embeddingCounts, loadEmbeddingMatrix } from '../../db/embeddings-repo.ts';
import { getBackboneByName, listBackbones, type BackboneRecord } from '../../db/backbones-repo.ts';
import { countImages, getImage } from '../../db/images-repo.ts';
import { writeNpyFloat32 } from './npy.ts';
import { csvText, type CsvCell } from '../../base/csv.ts';

export interface ExportEmbeddingsOptions {
  /** Backbone name; default the only backbone with vectors of `view`. */
  backbone?: string;
  view?: string;
  /** Path of the .npy file; the CSV goes beside it with the same base name. */
  out: string;
}

export interface ExportEmbeddingsResult {
  backbone: string;
  view: string;
  rows: number;
  dim: number;
  npyPath: string;
  csvPath: string;
  /** Images with no vector of this view (not exported). */
  missing: number;
}

export function exportEmbeddings(project: Project, options: ExportEmbeddingsOptions): ExportEmbeddingsResult {
  const view = options.view ?? 'plain';
  const npyPath = resolve(options.out);
  if (!/\.npy$/i.test(npyPath)) throw new Error(`--out must name an .npy file, got ${options.out}`);
  if (!existsSync(dirname(npyPath)) || !statSync(dirname(npyPath)).isDirectory()) throw new Error(`folder ${dirname(npyPath)} does not exist`);
  const csvPath = npyPath.replace(/\.npy$/i, '.csv');
  const backbone = pickBackbone(project, options.backbone, view);
  const matrix = loadEmbeddingMatrix(project.db, backbone.id, view);
  const records: CsvCell[][] = [['id', 'path', 'label']];
  for (const id of matrix.imageIds) {
    // A vector's image exists: embeddings reference images.
    const image = getImage(project.db, id)!;
    records.push([id, image.relPath, image.label ?? '']);
  }
  const total = countImages(project.db);
  // Both files appear together or not at all (as far as two renames allow).
  const tmpNpy = `${npyPath}.${process.pid}.tmp`;
  const tmpCsv = `${csvPath}.${process.pid}.tmp`;
  try {
    writeNpyFloat32(tmpNpy, matrix.data, matrix.imageIds.length, matrix.dim);
    writeFileSync(tmpCsv, csvText(records));
    renameSync(tmpNpy, npyPath);
    renameSync(tmpCsv, csvPath);
  } finally {
    rmSync(tmpNpy, { force: true });
    rmSync(tmpCsv, { force: true });
  }
  return { backbone: backbone.name, view, rows: matrix.imageIds.length, dim: matrix.dim, npyPath, csvPath, missing: total - matrix.imageIds.length };
}

function pickBackbone(project: Project, name: string | undefined, view: string): BackboneRecord {
  const db = project.db;
  if (name !== undefined) {
    const b = getBackboneByName(db, name);
    if (!b)
      throw new Error(
        `no backbone named '${name}' in this project (it has: ${
          listBackbones(db)
            .map((x) => x.name)
            .join(', ') || 'none'
        })`,
      );
    if (!embeddingCounts(db, b.id).some((c) => c.view === view)) throw new Error(`backbone '${name}' has no '${view}' vectors; run \`spice-workbench embed\` first`);
    return b;
  }
  const withView = listBackbones(db).filter((b) => embeddingCounts(db, b.id).some((c) => c.view === view));
  if (withView.length === 0) throw new Error(`this project has no '${view}' embeddings yet; run \`spice-workbench embed\` first`);
  if (withView.length > 1) throw new Error(`several backbones have '${view}' vectors (${withView.map((b) => b.name).join(', ')}); choose one with --backbone`);
  return withView[0];
}
