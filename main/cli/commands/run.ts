import type { Command } from '../command.ts';
import { CliError, optionalInt, requireString } from '../command.ts';
import { createProgressPrinter } from '../progress-printer.ts';
import { formatMetric, formatTable } from '../cluster-shared.ts';
import { formatSummary as formatImportSummary } from './import.ts';
import { openProject } from '../../app/project.ts';
import { JobCancelledError } from '../../jobs/runner.ts';
import { importFolder, ImportInputError } from '../../pipeline/import/index.ts';
import { embedProject } from '../../pipeline/embed/index.ts';
import { parseViewCounts } from '../../pipeline/embed/views.ts';
import { runKmeans } from '../../pipeline/cluster/run-kmeans.ts';
import { runSpice } from '../../pipeline/cluster/spice.ts';
import { evaluateRun, hasGroundTruth } from '../../pipeline/cluster/evaluate.ts';
import { getRun } from '../../pipeline/cluster/runs-repo.ts';

const usage =
  'spice-workbench run <image-folder> --project <dir> --model <onnx-file-or-registry-name> --k <n> [--labels-from-folders] [--size <px>] [--views weak=4,strong=4] [--seed <n>]';

export const DEFAULT_PIPELINE_VIEWS = 'weak=4,strong=4';

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
    const kArg = optionalInt(args, 'k');
    if (kArg === undefined || kArg < 2) throw new CliError(`--k must be an integer of at least 2\nusage: ${usage}`, 2);
    const k = kArg;
    const seed = optionalInt(args, 'seed') ?? 0;
    const size = optionalInt(args, 'size');
    let views;
    try {
      views = parseViewCounts((args.values.views as string | undefined) ?? DEFAULT_PIPELINE_VIEWS);
    } catch (err) {
      throw new CliError((err as Error).message, 2);
    }

    const project = openProject(projectDir);
    const stopPrinting = project.jobs.onEvent(createProgressPrinter());
    const controller = new AbortController();
    const onSigint = () => {
      controller.abort();
      project.jobs.cancelAll();
    };
    process.once('SIGINT', onSigint);
    const signal = controller.signal;
    const seconds: Record<string, number> = {};
    const timed = async <T>(stage: string, work: () => Promise<T>): Promise<T> => {
      const t0 = performance.now();
      const result = await work();
      seconds[stage] = (performance.now() - t0) / 1000;
      return result;
    };
    try {
      const imported = await timed('import', () =>
        importFolder(project, args.positionals[0], { labelsFromFolders: Boolean(args.values['labels-from-folders']), signal }),
      );
      console.log(formatImportSummary(imported));
      const embedded = await timed('embed', () => embedProject(project, { backbone: model, size, views, seed, signal }));
      const backbone = embedded.backboneName;
      console.log(`embedded with ${backbone} at ${embedded.inputSize} px on ${embedded.provider ?? 'nothing new to compute'}: ${embedded.computed} new vectors, ${embedded.alreadyPresent} already stored`);
      if (embedded.failed.length) console.log(`  ${embedded.failed.length} vectors failed; first: ${embedded.failed[0].path}: ${embedded.failed[0].reason}`);
      const kmeansRun = await timed('kmeans', () => runKmeans(project, { backbone, k, seed, signal }));
      const spiceRun = await timed('spice', () => runSpice(project, { backbone, k, seed, signal }));

      console.log(`\nstage times: ${Object.entries(seconds).map(([s, t]) => `${s} ${t.toFixed(1)} s`).join(', ')}`);
      const runIds = [kmeansRun, ...relatedRuns(project, spiceRun)];
      if (hasGroundTruth(project.db)) {
        const rows = runIds.map((id) => {
          const e = evaluateRun(project.db, id);
          return [String(id), e.run.method, String(e.run.k), formatMetric(e.metrics.acc), formatMetric(e.metrics.nmi), formatMetric(e.metrics.ari)];
        });
        console.log(formatTable(['run', 'method', 'k', 'ACC', 'NMI', 'ARI'], rows));
      } else {
        console.log(`runs ${runIds.join(', ')} stored; no folder labels, so no evaluation (name the clusters in the app, or import with --labels-from-folders)`);
      }
      return 0;
    } catch (err) {
      if (err instanceof ImportInputError) throw new CliError(err.message);
      if (err instanceof JobCancelledError) {
        console.error('cancelled: finished stages are kept; run the same command again to continue');
        return 130;
      }
      throw err;
    } finally {
      process.off('SIGINT', onSigint);
      stopPrinting();
      project.close();
    }
  },
};

/** The SPICE run and the SPICE-Self run it grew from, when that one was stored as a run of its own. */
function relatedRuns(project: ReturnType<typeof openProject>, spiceRunId: number): number[] {
  const run = getRun(project.db, spiceRunId);
  const selfRunId = (run?.report as { selfRunId?: number } | null)?.selfRunId;
  return typeof selfRunId === 'number' ? [selfRunId, spiceRunId] : [spiceRunId];
}
