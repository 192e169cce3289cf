// The desktop app's services run in an Electron utility process, not in the main process: a SPICE run's
// k-NN or PCA then never holds up the window's calls, pushes or images. This is the service host's
// channel to it (main/app/service-host/protocol.ts); the process runs main/app/service-host/services-worker.ts.
import { utilityProcess } from 'electron';
import { fileURLToPath } from 'node:url';
import type { ServiceChannel } from '../app/service-host/host.ts';

/**
 * Made by scripts/build-main.mjs beside main.js (dist/electron/), from services-worker.ts with npm
 * packages external like main.js, so it stays in the asar and resolves node_modules as main.js does.
 * The app always runs from that bundle (npm start builds it first).
 */
const SERVICES_PROCESS = new URL('./services-process.mjs', import.meta.url);

/** Forks the services' utility process (only after app 'ready'). */
export function forkServiceProcess(): ServiceChannel {
  const child = utilityProcess.fork(fileURLToPath(SERVICES_PROCESS), [], { serviceName: 'SPICE Workbench services', stdio: 'inherit' });
  let fatal: string | null = null;
  child.on('error', (type, location) => (fatal = `${type} at ${location}`));
  return {
    send: (m) => child.postMessage(m),
    onMessage: (listener) => void child.on('message', listener),
    onExit: (listener) => void child.once('exit', (code) => listener(fatal ? `${fatal}; exit code ${code}` : `exit code ${code}`)),
    kill: () => void child.kill(),
  };
}
