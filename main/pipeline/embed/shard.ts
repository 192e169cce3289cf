// One share of a project's images, for embedding on several machines at once (`embed --shard i/N`).
// An image's share follows from its content hash, so every copy of the project (and a later import of
// the same files) splits the images the same way, whatever their ids.
import type { Db } from '../../db/connection.ts';
import { imageHashes } from '../../db/images-repo.ts';

export interface Shard {
  /** 0-based, as Kubernetes' JOB_COMPLETION_INDEX. */
  index: number;
  count: number;
}

/** "i/N" with 0 <= i < N. */
export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  if (!m) throw new Error(`a shard is written i/N (for example 0/4), got '${text}'`);
  const shard = { index: Number(m[1]), count: Number(m[2]) };
  validateShard(shard);
  return shard;
}

export function validateShard(shard: Shard): void {
  if (!Number.isSafeInteger(shard.count) || shard.count < 1) throw new Error(`the number of shards must be at least 1, got ${shard.count}`);
  if (!Number.isSafeInteger(shard.index) || shard.index < 0 || shard.index >= shard.count) {
    throw new Error(`shard index must be from 0 to ${shard.count - 1}, got ${shard.index}`);
  }
}

export function inShard(sha256: string, shard: Shard): boolean {
  return Number.parseInt(sha256.slice(0, 8), 16) % shard.count === shard.index;
}

/** Ids of the project's images in the share. */
export function shardImageIds(db: Db, shard: Shard): Set<number> {
  const ids = new Set<number>();
  for (const [id, sha256] of imageHashes(db)) {
    if (inShard(sha256, shard)) ids.add(id);
  }
  return ids;
}
