// pipeline.*: starts the long stages as jobs and answers at once with the job id; progress, logs and
// the end of each job reach clients as pushed job events.
import type { PipelineApi, StartedJob, StartImportParams, ViewCounts } from '../../../preload/contract/api.ts';
import type { JobKind } from '../../../preload/contract/jobs.ts';
import { JobCancelledError } from '../../jobs/runner.ts';
import { chooseEmbeddedBackbone } from '../../pipeline/cluster/backbone-choice.ts';
import { runKmeans } from '../../pipeline/cluster/run-kmeans.ts';
import { runSpice } from '../../pipeline/cluster/spice.ts';
import { embedProject } from '../../pipeline/embed/embed-job.ts';
import { importFolder } from '../../pipeline/import/import-job.ts';
import { runRefine } from '../../pipeline/label/refine-job.ts';
import type { Project } from '../../project/project.ts';
import { PIPELINE_STAGES, runFullPipeline } from '../full-pipeline.ts';
import type { ServiceContext } from './context.ts';
import { ApiError, toApiError } from './api-errors.ts';
import { requireFolder } from './folders.ts';
import { runEvaluation } from './summary.ts';
import { DEFAULT_SEED } from '../../base/random.ts';

/** The contract's view counts as the embed stage takes them: fixed views left out = none. */
function bankViews(views: ViewCounts | undefined): { weak: number; strong: number; fixed: number } | undefined {
  return views && { weak: views.weak, strong: views.strong, fixed: views.fixed ?? 0 };
}

/** What other services may start (projects.create starts an import). */
export interface PipelineControl {
  startImport(params?: StartImportParams): Promise<StartedJob>;
}

export function createPipelineService(ctx: ServiceContext): PipelineApi & PipelineControl {
  const { session } = ctx;

  const startImport = async (params?: StartImportParams): Promise<StartedJob> => {
    const project = session.requireProject();
    const folder = params?.folder ?? project.imageRoot();
    if (folder === null) throw new ApiError('invalid-argument', 'this project has no image folder yet: give the folder to import');
    requireFolder(folder, 'image folder');
    return launch(project, 'import', () => importFolder(project, folder, { labelsFromFolders: params?.labelsFromFolders ?? false }));
  };

  return {
    startImport,

    async startEmbed({ backbone, size, views }) {
      const project = session.requireProject();
      return launch(project, 'embed', () => embedProject(project, { backbone, size, views: bankViews(views), seed: DEFAULT_SEED }));
    },

    async startCluster({ method, k, seed, backbone, spice }) {
      const project = session.requireProject();
      // The stages check the backbone and k themselves, before their job starts: errors reach the caller.
      const options = { backbone: backbone ?? chooseEmbeddedBackbone(project.db).name, k, seed: seed ?? DEFAULT_SEED };
      if (method === 'kmeans') return launch(project, 'cluster', () => runKmeans(project, options));
      return launch(project, 'cluster', () => runSpice(project, { ...options, ...spice }));
    },

    async startAll(params) {
      const project = session.requireProject();
      const folder = params.imageFolder ?? project.imageRoot();
      if (folder !== null) requireFolder(folder, 'image folder');
      return launch(project, 'pipeline', () =>
        project.jobs.run('pipeline', { ...params, imageFolder: folder }, async (job) => {
          job.stage('pipeline', PIPELINE_STAGES.length, 'stages');
          const result = await runFullPipeline(project, {
            ...params,
            views: bankViews(params.views),
            imageFolder: folder,
            signal: job.signal,
            onStage: (stage, index) => job.progress(index, stage),
          });
          job.progress(PIPELINE_STAGES.length, 'done');
          for (const stage of result.reused)
            job.log(`${stage === 'kmeans' ? 'k-means' : 'SPICE'}: reused the finished run with the same settings on the same embedded images`);
          for (const [label, runId] of [
            ['k-means', result.kmeansRunId],
            ['SPICE', result.spiceRunId],
          ] as const) {
            const m = runEvaluation(session, project.db, runId);
            job.log(
              m
                ? `${label} (run ${runId}): ACC ${m.acc.toFixed(3)} NMI ${m.nmi.toFixed(3)} ARI ${m.ari.toFixed(3)}`
                : `${label}: run ${runId} (no ground truth to evaluate)`,
            );
          }
          return { kmeansRunId: result.kmeansRunId, spiceRunId: result.spiceRunId };
        }),
      );
    },

    async startRefine(params) {
      const project = session.requireProject();
      return launch(project, 'cluster', () => runRefine(project, { baseRunId: params?.runId, seed: params?.seed, bankCache: session.bankCache }));
    },

    async cancel({ jobId }) {
      return { cancelled: session.requireProject().jobs.cancel(jobId) };
    },

    async jobs(params) {
      return session.requireProject().jobs.list(params?.limit ?? 50);
    },
  };
}

/**
 * Starts `body` (which runs a job of `kind`) and resolves with the job's id as soon as it starts.
 * An error before the job starts (bad folder, unknown backbone) rejects the call; once started, the
 * outcome travels as job events and the stored data it changed is announced by the session.
 */
function launch(project: Project, kind: JobKind, body: () => Promise<unknown>): Promise<StartedJob> {
  if (project.jobs.runningJobIds.length > 0) {
    throw new ApiError('conflict', 'a job is already running in this project: wait for it or cancel it first');
  }
  return new Promise<StartedJob>((resolve, reject) => {
    let started = false;
    const off = project.jobs.onEvent((e) => {
      if (!started && e.type === 'started' && e.kind === kind) {
        started = true;
        off();
        resolve({ jobId: e.jobId });
      }
    });
    body().then(
      () => {
        if (started) return;
        off();
        reject(new ApiError('internal', `the ${kind} stage finished without starting a job`));
      },
      (err: unknown) => {
        if (started) return; // already reported by the job's 'finished' event
        off();
        reject(translateStageError(err));
      },
    );
  });
}

function translateStageError(err: unknown): unknown {
  if (err instanceof JobCancelledError) return new ApiError('conflict', 'cancelled before it started');
  return toApiError(err);
}
