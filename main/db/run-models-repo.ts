// The classifier a run leaves behind (table run_models): its kind, a JSON spec and float32 data. What the
// kinds hold and how they predict: pipeline/cluster/run-model.ts and run-kmeans.ts.
import type { Db } from './connection.ts';
import { one, run, value } from './statements.ts';

export interface RunModelRow {
  kind: string;
  /** JSON text. */
  spec: string;
  data: Buffer;
}

/** Stores (or replaces) the run's classifier. */
export function saveRunModelRow(db: Db, runId: number, model: RunModelRow): void {
  run(db, 'INSERT OR REPLACE INTO run_models (run_id, kind, spec, data) VALUES (?, ?, ?, ?)', runId, model.kind, model.spec, model.data);
}

export function getRunModelRow(db: Db, runId: number): RunModelRow | undefined {
  return one<RunModelRow>(db, 'SELECT kind, spec, data FROM run_models WHERE run_id = ?', runId);
}

/** The kind of the run's classifier, or undefined when it stored none. */
export function runModelKind(db: Db, runId: number): string | undefined {
  return value<string>(db, 'SELECT kind FROM run_models WHERE run_id = ?', runId);
}
