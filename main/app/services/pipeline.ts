// pipeline.*: starts the long stages as jobs and answers at once with the job id; progress, logs and
// the end of each job reach clients as pushed job events.
import type { PipelineApi, StartAllParams, StartedJob, StartImportParams, ViewCounts } from '../../../preload/contract/api.ts';
import type { JobKind } from '../../../preload/contract/jobs.ts';
import { JobCancelledError } from '../../jobs/runner.ts';
import { chooseEmbeddedBackbone } from '../../pipeline/cluster/backbone-choice.ts';
import type { Project } from '../project.ts';
import type { ServiceContext } from './context.ts';
import { loadEmbed, loadImport, loadKmeans, loadSpice } from './deps.ts';
import { ApiError } from './errors.ts';
import { requireFolder } from './projects.ts';
import { runEvaluation } from './summary.ts';

/** Default backbone of a full run: the registry's MobileNet v1 (recommended for small images). */
export const DEFAULT_BACKBONE = 'mobilenet_v1_imagenet';
/** Augmented views per image for SPICE's bank when a full run does not say. */
export const DEFAULT_BANK_VIEWS: ViewCounts = { weak: 2, strong: 2 };
export const DEFAULT_SEED = 0;

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
    const { importFolder } = await loadImport();
    return launch(project, 'import', () => importFolder(project, folder, { labelsFromFolders: params?.labelsFromFolders ?? false }));
  };

  return {
    startImport,

    async startEmbed({ backbone, size, views }) {
      const project = session.requireProject();
      const { embedProject } = await loadEmbed();
      return launch(project, 'embed', () => embedProject(project, { backbone, size, views, seed: DEFAULT_SEED }));
    },

    async startCluster({ method, k, seed, backbone, spice }) {
      const project = session.requireProject();
      // The stages check the backbone and k themselves, before their job starts: errors reach the caller.
      const options = { backbone: backbone ?? chooseEmbeddedBackbone(project.db).name, k, seed: seed ?? DEFAULT_SEED };
      if (method === 'kmeans') {
        const { runKmeans } = await loadKmeans();
        return launch(project, 'cluster', () => runKmeans(project, options));
      }
      const { runSpice } = await loadSpice();
      return launch(project, 'cluster', () => runSpice(project, { ...options, ...spice }));
    },

    async startAll(params) {
      const project = session.requireProject();
      const folder = params.imageFolder ?? project.imageRoot();
      if (folder !== null) requireFolder(folder, 'image folder');
      // Load every stage first: a missing one is reported now, not half-way through the run.
      const stages = { ...(await loadImport()), ...(await loadEmbed()), ...(await loadKmeans()), ...(await loadSpice()) };
      return launch(project, 'pipeline', () =>
        project.jobs.run('pipeline', { ...params, imageFolder: folder }, async (job) => {
          const p: Required<Omit<StartAllParams, 'imageFolder' | 'size' | 'spice'>> & Pick<StartAllParams, 'size' | 'spice'> = {
            labelsFromFolders: params.labelsFromFolders ?? false,
            backbone: params.backbone ?? DEFAULT_BACKBONE,
            size: params.size,
            views: params.views ?? DEFAULT_BANK_VIEWS,
            k: params.k,
            seed: params.seed ?? DEFAULT_SEED,
            spice: params.spice,
          };
          const signal = job.signal;
          job.stage('pipeline', 5, 'stages');
          if (folder !== null) {
            job.progress(0, 'import');
            await stages.importFolder(project, folder, { labelsFromFolders: p.labelsFromFolders, signal });
          }
          job.throwIfCancelled();
          job.progress(1, 'embed');
          const { backboneName } = await stages.embedProject(project, { backbone: p.backbone, size: p.size, views: p.views, seed: p.seed, signal });
          job.throwIfCancelled();
          job.progress(2, 'k-means');
          const kmeansRunId = await stages.runKmeans(project, { backbone: backboneName, k: p.k, seed: p.seed, signal });
          job.throwIfCancelled();
          job.progress(3, 'SPICE');
          const spiceRunId = await stages.runSpice(project, { backbone: backboneName, k: p.k, seed: p.seed, signal, ...p.spice });
          job.progress(4, 'evaluate');
          for (const [label, runId] of [['k-means', kmeansRunId], ['SPICE', spiceRunId]] as const) {
            const m = runEvaluation(session, project.db, runId);
            job.log(m ? `${label} (run ${runId}): ACC ${m.acc.toFixed(3)} NMI ${m.nmi.toFixed(3)} ARI ${m.ari.toFixed(3)}` : `${label}: run ${runId} (no ground truth to evaluate)`);
          }
          job.progress(5, 'done');
          return { kmeansRunId, spiceRunId };
        }),
      );
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
  if (err instanceof ApiError) return err;
  if (err instanceof JobCancelledError) return new ApiError('conflict', 'cancelled before it started');
  const name = err instanceof Error ? err.name : '';
  const message = err instanceof Error ? err.message : String(err);
  if (name === 'ImportInputError' || err instanceof RangeError) return new ApiError('invalid-argument', message);
  return err;
}
