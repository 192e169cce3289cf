// After `embed --shard i/N`: the share's vectors (every view the embed planned) into a shard file.
import type { Project } from '../../app/project.ts';
import { getViewSpecs } from '../../db/embeddings-repo.ts';
import { blobToFloat32 } from '../cluster/runs-repo.ts';
import { getBackboneById } from '../../models/backbones.ts';
import { shardImageIds, type Shard } from './shard.ts';
import { writeShardFile, type ShardRow } from './shard-file.ts';

export interface WrittenShard {
  path: string;
  rows: number;
  /** Images of the share without a vector for some view (failed to decode): left out of the file. */
  missing: number;
}

export function writeProjectShard(project: Project, options: { backboneId: number; model: string; views: readonly string[]; shard: Shard; path: string }): WrittenShard {
  const db = project.db;
  const backbone = getBackboneById(db, options.backboneId);
  if (!backbone) throw new Error(`there is no backbone ${options.backboneId}`);
  const wanted = new Set(options.views);
  const specs = getViewSpecs(db, backbone.id).filter((s) => wanted.has(s.view));
  const share = shardImageIds(db, options.shard);
  const select = db.prepare(
    `SELECT i.id, i.sha256, e.view, e.vector FROM embeddings e JOIN images i ON i.id = e.image_id WHERE e.backbone_id = ? ORDER BY i.id, e.view`,
  );
  const inFile = (id: number, view: string) => share.has(id) && wanted.has(view);
  let rows = 0;
  for (const [id, , view] of select.raw().iterate(backbone.id) as Iterable<[number, string, string, Buffer]>) if (inFile(id, view)) rows++;
  function* shardRows(): Generator<ShardRow> {
    for (const [id, sha256, view, vector] of select.raw().iterate(backbone!.id) as Iterable<[number, string, string, Buffer]>) {
      if (inFile(id, view)) yield { sha256, view, vector: blobToFloat32(vector) };
    }
  }
  writeShardFile(
    options.path,
    {
      shard: options.shard,
      backbone: {
        model: options.model,
        name: backbone.name,
        sha256: backbone.sha256,
        inputSize: backbone.inputSize,
        channelOrder: backbone.channelOrder,
        layout: backbone.layout,
        mean: backbone.mean,
        std: backbone.std,
        outputDim: backbone.outputDim,
      },
      views: specs,
      dim: backbone.outputDim,
      rows,
    },
    shardRows(),
  );
  return { path: options.path, rows, missing: share.size * specs.length - rows };
}
