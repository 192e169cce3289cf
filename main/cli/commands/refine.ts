import type { Command } from '../command.ts';
import { optionalInt, requireString } from '../command.ts';
import { formatMetric, openExistingProject } from '../cluster-shared.ts';
import { withJobSession } from '../job-session.ts';
import { finalLabelAccuracy, hasGroundTruth } from '../../pipeline/cluster/evaluate.ts';
import { getRun } from '../../db/runs-repo.ts';
import { runRefine } from '../../pipeline/label/refine-job.ts';

const usage = 'spice-workbench refine --project <dir> [--run <id>] [--seed <n>] [--json]';

export const refineCommand: Command = {
  name: 'refine',
  usage,
  summary: "Learn from the person's labels: a new run trained on them (SPICE-Semi), starting from a finished run (default: the project's default run).",
  options: {
    project: { type: 'string' },
    run: { type: 'string' },
    seed: { type: 'string' },
    json: { type: 'boolean' },
  },
  async run(args) {
    const dir = requireString(args, 'project', usage);
    const baseRunId = optionalInt(args, 'run');
    const seed = optionalInt(args, 'seed');
    const project = openExistingProject(dir);
    return withJobSession(
      project,
      {
        cancelled: 'refine cancelled: the earlier runs are unchanged',
      },
      async (signal) => {
        const runId = await runRefine(project, { baseRunId, seed, signal });
        const run = getRun(project.db, runId)!;
        const report = run.report as {
          baseRun: number;
          personLabels: number;
          reliableFromBase: number;
          outputs: Array<string | null>;
          agreesWithPersonLabels: number;
          changedFromBase: number;
        };
        const accuracy = hasGroundTruth(project.db) ? finalLabelAccuracy(project.db, runId) : null;
        const seconds = run.timings?.total ?? null;
        if (args.values.json) {
          console.log(
            JSON.stringify({
              run: runId,
              baseRun: report.baseRun,
              seconds,
              personLabels: report.personLabels,
              outputs: report.outputs,
              changedFromBase: report.changedFromBase,
              labelAccuracy: accuracy && accuracy.correct / accuracy.total,
            }),
          );
          return 0;
        }
        console.log(`run ${runId}: refine of run ${report.baseRun}${seconds === null ? '' : ` in ${seconds.toFixed(1)} s`}`);
        console.log(
          `learned from ${report.personLabels} person labels and ${report.reliableFromBase} reliable samples; ${report.outputs.length} classes: ${report.outputs.map((c) => c ?? '(unnamed)').join(', ')}`,
        );
        console.log(`agrees with ${formatMetric(report.agreesWithPersonLabels)}% of the person's labels; changed ${report.changedFromBase} model labels`);
        if (accuracy) console.log(`final labels against folder labels: ${formatMetric(accuracy.correct / accuracy.total)}% of ${accuracy.total} images right`);
        return 0;
      },
    );
  },
};
