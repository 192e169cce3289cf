// Pipeline stages loaded on first use, so the services (and the app window) come up fast. A stage
// whose module is missing from this build gives a clear 'not-available' error.
import type { Project } from '../project.ts';
import type { SpiceSettings } from '../../../preload/contract/api.ts';
import { ApiError } from './errors.ts';

export interface SpiceModule {
  runSpice(project: Project, options: { backbone: string; k: number; seed: number; signal?: AbortSignal } & SpiceSettings): Promise<number>;
}

function notAvailable(what: string) {
  return (err: unknown): never => {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') throw new ApiError('not-available', `${what} is not available in this build`);
    throw err;
  };
}

export const loadImport = () => import('../../pipeline/import/index.ts').catch(notAvailable('importing'));
export const loadEmbed = () => import('../../pipeline/embed/index.ts').catch(notAvailable('embedding'));
export const loadKmeans = () => import('../../pipeline/cluster/run-kmeans.ts').catch(notAvailable('k-means clustering'));
export const loadSpice = () =>
  (import(new URL('../../pipeline/cluster/spice.ts', import.meta.url).href) as Promise<SpiceModule>).catch(notAvailable('SPICE clustering'));
export const loadRefine = () => import('../../pipeline/label/refine.ts').catch(notAvailable('refine'));
