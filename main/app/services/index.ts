// Builds the one service contract over a session, and the single dispatch every transport uses:
// validate the method and its params, call the service, turn any failure into an ApiError shape.
// No Electron here: Electron, the WebSocket bridge and tests all go through dispatch().
import type { ApiErrorShape, MethodName, PlatformMode, PushEvent, ServiceApi } from '../../../preload/contract/api.ts';
import { validateCall } from '../validate.ts';
import { createAppService } from './app.ts';
import { createBackbonesService } from './backbones.ts';
import { createClustersService } from './clusters.ts';
import type { HostHooks, ServiceContext } from './context.ts';
import { createCorrectionsService } from './corrections.ts';
import { toErrorShape } from './api-errors.ts';
import { createExportService } from './export.ts';
import { createImageService } from './image.ts';
import { readImageBytes, type ImageBytes, type ImageKind } from './image-files.ts';
import { createLabelsService } from './labels.ts';
import { createMapService, stopProjectionWorkers } from './map.ts';
import { createMappingService } from './mapping.ts';
import { createPipelineService } from './pipeline.ts';
import { createProjectsService } from './projects.ts';
import { defaultStateDir } from './recent.ts';
import { createReviewService } from './review.ts';
import { createRunsService } from './runs.ts';
import { latestFinishedRunBackbone } from '../../db/runs-repo.ts';
import { Session } from './session.ts';

export { ApiError } from './api-errors.ts';
export type { HostHooks } from './context.ts';
export type { ImageBytes, ImageKind } from './image-files.ts';

export interface ServicesOptions {
  platform: PlatformMode;
  /** App state (recent projects); default per-user config folder or SPICE_WORKBENCH_HOME. */
  stateDir?: string;
  host?: HostHooks;
}

export type CallResult = { ok: true; result: unknown } | { ok: false; error: ApiErrorShape };

/**
 * What a transport needs of the services, wherever they run: in this thread (createServices) or in a
 * service host's worker or utility process (main/app/service-host/).
 */
export interface ServiceEndpoint {
  /** Runs one untrusted call: never throws, always answers a result or an error shape. */
  dispatch(method: unknown, params: unknown): Promise<CallResult>;
  onPush(listener: (e: PushEvent) => void): () => void;
  /** An image's bytes by id (the transports' image routes); null when there is none. Never throws. */
  readImage(kind: ImageKind, imageId: number): Promise<ImageBytes | null>;
}

export interface Services extends ServiceEndpoint {
  readonly api: ServiceApi;
  readonly session: Session;
  dispose(): void;
}

export function createServices(options: ServicesOptions): Services {
  const session = new Session({ platform: options.platform, stateDir: options.stateDir ?? defaultStateDir() });
  const ctx: ServiceContext = { session, host: options.host ?? {} };
  const pipeline = createPipelineService(ctx);
  const map = createMapService(ctx);
  const api: ServiceApi = {
    app: createAppService(ctx),
    projects: createProjectsService(ctx, pipeline),
    pipeline,
    backbones: createBackbonesService(ctx),
    runs: createRunsService(ctx),
    clusters: createClustersService(ctx),
    image: createImageService(ctx),
    mapping: createMappingService(ctx),
    corrections: createCorrectionsService(ctx),
    labels: createLabelsService(ctx),
    review: createReviewService(ctx),
    export: createExportService(ctx),
    map,
  };

  // A finished clustering makes the map likely next: compute it while the person looks at the grid.
  session.onPush((e) => {
    if (e.type !== 'job' || e.event.type !== 'finished' || e.event.state !== 'done') return;
    if (e.event.kind !== 'cluster' && e.event.kind !== 'pipeline') return;
    const project = session.project;
    const finishing = e.event.jobId;
    // The finished job is still listed as running while its event goes out.
    if (!project || project.jobs.runningJobIds.some((id) => id !== finishing)) return;
    const latest = latestFinishedRunBackbone(project.db);
    if (latest !== undefined) map.warm(latest);
  });

  return {
    api,
    session,
    async dispatch(method, params) {
      try {
        const valid = validateCall(method, params);
        const name = method as MethodName;
        const dot = name.indexOf('.');
        const area = api[name.slice(0, dot) as keyof ServiceApi] as unknown as Record<string, (p: unknown) => Promise<unknown>>;
        const result = await area[name.slice(dot + 1)](valid);
        return { ok: true, result: result === undefined ? null : result };
      } catch (err) {
        return { ok: false, error: toErrorShape(err) };
      }
    },
    onPush: (listener) => session.onPush(listener),
    readImage: (kind, imageId) => readImageBytes(session, kind, imageId).catch(() => null),
    dispose: () => {
      stopProjectionWorkers();
      session.dispose();
    },
  };
}
