// Worker thread: the image protocol of a service host. Thumbnails and full images by id, and the grid's
// pages (READER_METHODS), read through a read-only handle of its own on the open project, so images and
// pages keep coming while the services' thread is busy (a k-NN, the PCA or the training steps of a SPICE
// run hold it for up to a second at a time). The host tells it which project the services have open; it
// never opens anything else, and images are only ever asked for by id.
import { parentPort } from 'node:worker_threads';
import { openProject, type Project } from '../../project/project.ts';
import { readProjectImage } from '../services/image-files.ts';
import { readClusterImages } from '../services/clusters.ts';
import { toErrorShape } from '../services/api-errors.ts';
import type { CallResult } from '../services/index.ts';
import { validateCall } from '../validate.ts';
import type { FromImageReader, ToImageReader } from './protocol.ts';

let project: Project | null = null;

function openOnly(dir: string | null): void {
  project?.close();
  project = null;
  if (dir === null) return;
  try {
    // Read-only: the services' handle does every write (and any schema upgrade, before it reports the project).
    project = openProject(dir, { readonly: true, create: false });
  } catch (err) {
    // Images then answer 404, as with no project; the services report the project's problems themselves.
    console.error(`image reader: cannot open ${dir}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

async function read(m: Extract<ToImageReader, { type: 'read' }>): Promise<void> {
  const image = await readProjectImage(project, m.kind, m.imageId).catch(() => null);
  const reply: FromImageReader = { type: 'image', id: m.id, image };
  // A full image's buffer (its own, read from disk) moves instead of being copied; a thumbnail is copied.
  const own = m.kind === 'full' && image && image.data.byteOffset === 0 && image.data.byteLength === image.data.buffer.byteLength;
  try {
    parentPort!.postMessage(reply, own ? [image.data.buffer as ArrayBuffer] : []);
  } catch {
    parentPort!.postMessage(reply);
  }
}

/** A read-only call (READER_METHODS), validated as the services validate it. */
function call(m: Extract<ToImageReader, { type: 'call' }>): void {
  let outcome: CallResult | null = null;
  if (project) {
    try {
      outcome = { ok: true, result: readClusterImages(project.db, validateCall(m.method, m.params)) };
    } catch (err) {
      outcome = { ok: false, error: toErrorShape(err) };
    }
  }
  const reply: FromImageReader = { type: 'result', id: m.id, outcome };
  parentPort!.postMessage(reply);
}

if (parentPort) {
  parentPort.on('message', (m: ToImageReader) => {
    if (m.type === 'project') openOnly(m.dir);
    else if (m.type === 'call') call(m);
    else void read(m);
  });
}
