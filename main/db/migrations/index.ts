import * as m001 from './001_foundation.ts';
import * as m002 from './002_clustering.ts';
import * as m003 from './003_projections.ts';
import * as m004 from './004_pretrain.ts';
import * as m005 from './005_embedding_view_counts.ts';
import * as m006 from './006_fixed_views.ts';

export interface Migration {
  version: number;
  name: string;
  up: string;
}

// Append only: a shipped migration is never edited, a change is a new numbered file.
export const migrations: readonly Migration[] = [
  { version: 1, name: 'foundation', up: m001.up },
  { version: 2, name: 'clustering', up: m002.up },
  { version: 3, name: 'projections', up: m003.up },
  { version: 4, name: 'pretrain', up: m004.up },
  { version: 5, name: 'embedding view counts', up: m005.up },
  { version: 6, name: 'fixed views', up: m006.up },
];
