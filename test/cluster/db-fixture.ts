// A project database with rows written directly, for unit tests of the clustering repositories.
import { join } from 'node:path';
import { openDatabase, type Db } from '../../main/db/connection.ts';
import { createRun, finishRun, saveAssignments } from '../../main/db/runs-repo.ts';
import { makeTempDir } from '../helpers/cifar-subset.ts';

/** A database with one backbone and `images` images (rows written directly: this tests the repository only). */
export function seedDb(db: Db, images: number): void {
  const now = Date.now();
  db.prepare(
    `INSERT INTO backbones (id, name, source, location, input_size, channel_order, mean, std, input_name, output_name, output_dim, added_at)
     VALUES (1, 'test-net', 'file', '/x.onnx', 64, 'RGB', '[0,0,0]', '[1,1,1]', 'in', 'out', 4, ?)`,
  ).run(now);
  const insert = db.prepare('INSERT INTO images (id, rel_path, sha256, width, height, bytes, format, label, imported_at) VALUES (?, ?, ?, 32, 32, 100, ?, ?, ?)');
  for (let i = 1; i <= images; i++) insert.run(i, `c${i % 2}/img${i}.jpg`, `sha${i}`, 'jpeg', i % 2 ? 'odd' : 'even', now);
}

/** Opens a fresh database seeded with `images` images, runs fn, then removes it. */
export function withSeededDb<T>(images: number, fn: (db: Db) => T): T {
  const tmp = makeTempDir();
  const db = openDatabase(join(tmp.dir, 'project.sqlite'));
  try {
    seedDb(db, images);
    return fn(db);
  } finally {
    db.close();
    tmp.cleanup();
  }
}

/** A finished run whose image i (1-based) sits in clusters[i - 1]. */
export function addRun(db: Db, k: number, clusters: readonly number[], method: 'kmeans' | 'spice' = 'kmeans'): number {
  const id = createRun(db, { method, backboneId: 1, k, seed: 0, params: {} });
  saveAssignments(
    db,
    id,
    clusters.map((cluster, i) => {
      const probs = new Float32Array(k).fill(0.1 / Math.max(1, k - 1));
      probs[cluster] = 0.9;
      return { imageId: i + 1, cluster, confidence: 0.9 - i / 1000, doubt: 0.1, reliable: false, probs };
    }),
  );
  finishRun(db, id, { state: 'done' });
  return id;
}
