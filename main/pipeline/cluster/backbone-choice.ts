// Which stored backbone a clustering command works on: named by the user, or the one that has embeddings.
import { resolve } from 'node:path';
import type { Db } from '../../db/connection.ts';
import { backbonesWithEmbeddings, findBackbone } from '../../db/backbones-repo.ts';
import { ClusteringInputError } from './clustering-errors.ts';

export interface EmbeddedBackbone {
  id: number;
  name: string;
  /** Images with a 'plain' vector for this backbone. */
  embedded: number;
}

export class BackboneChoiceError extends ClusteringInputError {
  constructor(message: string) {
    super(message);
    this.name = 'BackboneChoiceError';
  }
}

/** Backbones with at least one plain embedding, newest first. */
export function listEmbeddedBackbones(db: Db): EmbeddedBackbone[] {
  return backbonesWithEmbeddings(db);
}

/**
 * spec: a backbone name, 'project:<name>', or the path of its weights file. Without a spec, the newest
 * backbone with embeddings. Throws a BackboneChoiceError that lists what is available.
 */
export function chooseEmbeddedBackbone(db: Db, spec?: string): EmbeddedBackbone {
  const available = listEmbeddedBackbones(db);
  const names = available.map((b) => b.name).join(', ') || 'none';
  if (spec === undefined || spec === '') {
    if (available.length === 0) throw new BackboneChoiceError('no embeddings in this project yet: run `spice-workbench embed` first');
    return available[0];
  }
  const name = spec.startsWith('project:') ? spec.slice('project:'.length) : spec;
  const row = findBackbone(db, [spec, name], [spec, resolve(spec)]);
  if (!row) throw new BackboneChoiceError(`no backbone '${spec}' in this project (backbones with embeddings: ${names})`);
  const match = available.find((b) => b.id === row.id);
  if (!match)
    throw new BackboneChoiceError(
      `backbone '${row.name}' has no embeddings yet: run \`spice-workbench embed --backbone ${row.name}\` first (backbones with embeddings: ${names})`,
    );
  return match;
}
