// Which finished run the app shows first and the CLI and the export act on when none is named. Chosen
// from the runs' own signals only (no ground truth is read): a run trained on the person's labels first;
// else SPICE, unless SPICE's report says it did not learn (spice-health.ts), then the k-means run it was
// made beside, which it does not beat.
import type { Db } from '../../db/connection.ts';
import { listRuns, type RunRecord } from '../../db/runs-repo.ts';
import type { SpiceHealth } from './spice-health.ts';

export interface DefaultRunChoice {
  run: RunRecord | undefined;
  /** Why this run, in plain words; null when there was nothing to weigh (a single kind of run). */
  reason: string | null;
}

/** done: finished runs, newest first. */
export function chooseDefaultRun(done: readonly RunRecord[]): DefaultRunChoice {
  const learned = done.find((r) => r.method === 'refine' || r.method === 'spice');
  if (!learned) return { run: done[0], reason: null };
  if (learned.method === 'refine') return { run: learned, reason: `run #${learned.id} learned from your labels` };
  const baseline = done.find((r) => r.method === 'kmeans' && r.backboneId === learned.backboneId && r.k === learned.k);
  const health = spiceHealthOf(learned);
  if (!baseline || !health) return { run: learned, reason: null };
  if (!health.learned) {
    return { run: baseline, reason: `k-means (run #${baseline.id}) is shown first: SPICE (run #${learned.id}) reports that ${health.notes.join('; ')}` };
  }
  return { run: learned, reason: `SPICE (run #${learned.id}) is shown first: by its own signals it learned (enough images it was sure of, no collapsed cluster)` };
}

/** The project's choice among its finished runs. */
export function defaultRunChoice(db: Db): DefaultRunChoice {
  return chooseDefaultRun(listRuns(db, { state: 'done' }));
}

export function defaultRun(db: Db): RunRecord | undefined {
  return defaultRunChoice(db).run;
}

/** The health a SPICE run recorded in its report; null for runs made before it was recorded. */
export function spiceHealthOf(run: RunRecord): SpiceHealth | null {
  const health = run.report?.health as SpiceHealth | undefined;
  return health && typeof health.learned === 'boolean' && Array.isArray(health.notes) ? health : null;
}
