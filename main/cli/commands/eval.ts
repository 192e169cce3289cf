import type { Command } from '../command.ts';
import { CliError, optionalInt, requireString } from '../command.ts';
import { evaluateRun, NoGroundTruthError, type RunEvaluation } from '../../pipeline/cluster/evaluate.ts';
import { countAssignments, getRun, listRuns } from '../../db/runs-repo.ts';
import { formatMetric, formatTable, openExistingProject } from '../cluster-shared.ts';

const usage = 'spice-workbench eval --project <dir> [--run <id>] [--json]';

export const evalCommand: Command = {
  name: 'eval',
  usage,
  summary: 'Score clustering runs against the folder labels: ACC (Hungarian), NMI, ARI.',
  options: { project: { type: 'string' }, run: { type: 'string' }, json: { type: 'boolean' } },
  async run(args) {
    const dir = requireString(args, 'project', usage);
    const runId = optionalInt(args, 'run');
    const project = openExistingProject(dir, { readonly: 'auto' });
    try {
      let runs;
      if (runId !== undefined) {
        const run = getRun(project.db, runId);
        if (!run) throw new CliError(`there is no run ${runId}`);
        runs = [run];
      } else {
        runs = listRuns(project.db, { state: 'done' }).reverse();
        if (runs.length === 0) throw new CliError('this project has no finished clustering run yet');
      }
      const evaluations: RunEvaluation[] = [];
      for (const run of runs) {
        if (countAssignments(project.db, run.id) === 0) {
          if (runId !== undefined) throw new CliError(`run ${run.id} has no assignments (state ${run.state})`);
          continue;
        }
        try {
          evaluations.push(evaluateRun(project.db, run.id));
        } catch (err) {
          if (err instanceof NoGroundTruthError) throw new CliError(err.message);
          throw err;
        }
      }
      if (args.values.json) {
        console.log(
          JSON.stringify(evaluations.map((e) => ({ run: e.run.id, method: e.run.method, k: e.run.k, acc: e.metrics.acc, nmi: e.metrics.nmi, ari: e.metrics.ari }))),
        );
      } else {
        const rows = evaluations.map((e) => [
          String(e.run.id),
          e.run.method,
          String(e.run.k),
          formatMetric(e.metrics.acc),
          formatMetric(e.metrics.nmi),
          formatMetric(e.metrics.ari),
          formatMetric(e.metrics.purity),
          String(e.labelled),
        ]);
        console.log(formatTable(['run', 'method', 'k', 'ACC', 'NMI', 'ARI', 'purity', 'images'], rows));
      }
      return 0;
    } finally {
      project.close();
    }
  },
};
