import type { Command } from '../command.ts';
import { CliError, optionalInt, requireString } from '../command.ts';
import { withJobSession } from '../job-session.ts';
import { formatMetric, formatTable } from '../cluster-shared.ts';
import { formatSummary as formatImportSummary } from './import.ts';
import { openProject, type Project } from '../../project/project.ts';
import { DEFAULT_SEED } from '../../base/random.ts';
import { runFullPipeline, DEFAULT_BANK_VIEWS } from '../../app/full-pipeline.ts';
import { parseViewCounts } from '../../pipeline/embed/views.ts';
import { evaluateRun, hasGroundTruth } from '../../pipeline/cluster/evaluate.ts';
import { getRun } from '../../db/runs-repo.ts';
import { defaultRunChoice } from '../../pipeline/cluster/default-run.ts';

const usage =
  'spice-workbench run <image-folder> --project <dir> --model <onnx-file-or-registry-name> --k <n> [--labels-from-folders] [--size <px>] [--views weak=2,strong=2,fixed=4] [--seed <n>]';

export const runCommand: Command = {
  name: 'run',
  usage,
  summary: 'The whole pipeline in one go: import, embed (plain view and view bank), k-means and SPICE, evaluation.',
  options: {
    project: { type: 'string' },
    model: { type: 'string' },
    k: { type: 'string' },
    'labels-from-folders': { type: 'boolean' },
    size: { type: 'string' },
    views: { type: 'string' },
    seed: { type: 'string' },
  },
  async run(args) {
    const projectDir = requireString(args, 'project', usage);
    const model = requireString(args, 'model', usage);
    if (args.positionals.length !== 1) throw new CliError(`give exactly one image folder\nusage: ${usage}`, 2);
    const k = optionalInt(args, 'k');
    if (k === undefined || k < 2) throw new CliError(`--k must be an integer of at least 2\nusage: ${usage}`, 2);
    let views = DEFAULT_BANK_VIEWS;
    try {
      if (typeof args.values.views === 'string') views = parseViewCounts(args.values.views);
    } catch (err) {
      throw new CliError((err as Error).message, 2);
    }
    const project = openProject(projectDir);
    try {
      return await runAndReport(project, {
        imageFolder: args.positionals[0],
        labelsFromFolders: Boolean(args.values['labels-from-folders']),
        backbone: model,
        size: optionalInt(args, 'size'),
        views,
        k,
        seed: optionalInt(args, 'seed') ?? DEFAULT_SEED,
      });
    } finally {
      project.close();
    }
  },
};

/** Runs the full pipeline with progress on stderr, then prints stage times and the evaluation table. */
export async function runAndReport(project: Project, options: Omit<Parameters<typeof runFullPipeline>[1], 'signal'>): Promise<number> {
  return withJobSession(
    project,
    {
      cancelled: 'cancelled: finished stages are kept; run the same command again to continue',
      closeProject: false,
    },
    async (signal) => {
      const result = await runFullPipeline(project, { ...options, signal });
      if (result.imported) console.log(formatImportSummary(result.imported));
      const e = result.embedded;
      console.log(
        `embedded with ${e.backboneName} at ${e.inputSize} px (${e.views.length} views) on ${e.provider ?? 'nothing new to compute'}: ${e.computed} new vectors, ${e.alreadyPresent} already stored`,
      );
      if (e.failed.length) console.log(`  ${e.failed.length} vectors failed; first: ${e.failed[0].path}: ${e.failed[0].reason}`);
      console.log(
        `stage times: ${Object.entries(result.seconds)
          .map(([s, t]) => `${s} ${t.toFixed(1)} s`)
          .join(', ')}`,
      );
      for (const stage of result.reused) {
        const runId = stage === 'kmeans' ? result.kmeansRunId : result.spiceRunId;
        console.log(`${stage === 'kmeans' ? 'k-means' : 'SPICE'}: reused run ${runId} (finished earlier with the same settings on the same embedded images)`);
      }
      const runIds = [result.kmeansRunId, ...withSelfRun(project, result.spiceRunId)];
      if (hasGroundTruth(project.db)) {
        const rows = runIds.map((id) => {
          const ev = evaluateRun(project.db, id);
          return [String(id), ev.run.method, String(ev.run.k), formatMetric(ev.metrics.acc), formatMetric(ev.metrics.nmi), formatMetric(ev.metrics.ari)];
        });
        console.log(formatTable(['run', 'method', 'k', 'ACC', 'NMI', 'ARI'], rows));
      } else {
        console.log(`runs ${runIds.join(', ')} stored; no folder labels, so no evaluation (name the clusters in the app, or import with --labels-from-folders)`);
      }
      // Chosen from the runs' own signals; the folder labels above play no part in it.
      const shown = defaultRunChoice(project.db);
      if (shown.run) console.log(`shown first: run ${shown.run.id} (${shown.run.method})${shown.reason ? `: ${shown.reason}` : ''}`);
      return 0;
    },
  );
}

/** The SPICE run, preceded by the SPICE-Self run it grew from when that one was stored as a run of its own. */
function withSelfRun(project: Project, spiceRunId: number): number[] {
  const selfRunId = (getRun(project.db, spiceRunId)?.report as { selfRunId?: unknown } | null)?.selfRunId;
  return typeof selfRunId === 'number' ? [selfRunId, spiceRunId] : [spiceRunId];
}
