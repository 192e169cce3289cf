// After `embed --shard i/N`: the share's vectors (every view the embed planned) into a shard file.
import type { Project } from '../../project/project.ts';
import { embeddingBlob, getViewSpecs, hasEmbedding } from '../../db/embeddings-repo.ts';
import { imageSha256 } from '../../db/images-repo.ts';
import { blobToFloat32 } from '../../db/runs-repo.ts';
import { getBackboneById } from '../../db/backbones-repo.ts';
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
  const share = [...shardImageIds(db, options.shard)].sort((x, y) => x - y);
  // Point lookups on the primary key (backbone, view, image): only the share's vectors are read.
  let rows = 0;
  for (const spec of specs) for (const id of share) if (hasEmbedding(db, backbone.id, spec.view, id)) rows++;
  function* shardRows(): Generator<ShardRow> {
    for (const spec of specs) {
      for (const id of share) {
        const vector = embeddingBlob(db, backbone!.id, spec.view, id);
        if (vector) yield { sha256: imageSha256(db, id)!, view: spec.view, vector: blobToFloat32(vector) };
      }
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
  return { path: options.path, rows, missing: share.length * specs.length - rows };
}
