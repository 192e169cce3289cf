import * as m001 from './001_foundation.ts';
import * as m002 from './002_clustering.ts';
import * as m003 from './003_projections.ts';
import * as m004 from './004_pretrain.ts';
import * as m005 from './005_embedding_view_counts.ts';
import * as m006 from './006_fixed_views.ts';
import * as m007 from './007_person_labels.ts';
import * as m008 from './008_job_process.ts';

export interface Migration {
  version: number;
  name: string;
  up: string;
  /**
   * Rebuilds a table other tables reference: run with foreign keys off (SQLite ignores the switch
   * inside a transaction), so dropping the old table does not cascade, then checked before commit.
   */
  rebuildsReferencedTable?: boolean;
}

// Append only: a shipped migration is never edited, a change is a new numbered file.
export const migrations: readonly Migration[] = [
  { version: 1, name: 'foundation', up: m001.up },
  { version: 2, name: 'clustering', up: m002.up },
  { version: 3, name: 'projections', up: m003.up },
  { version: 4, name: 'pretrain', up: m004.up },
  { version: 5, name: 'embedding view counts', up: m005.up },
  { version: 6, name: 'fixed views', up: m006.up },
  { version: 7, name: 'person labels', up: m007.up, rebuildsReferencedTable: true },
  { version: 8, name: 'job process identity', up: m008.up },
];
