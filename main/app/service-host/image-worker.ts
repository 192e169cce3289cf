// Worker thread: the image protocol of a service host. Thumbnails and full images by id, read through a
// read-only handle of its own on the open project, so images keep coming while the services' thread is
// busy (a k-NN or the PCA of a SPICE run holds it for about a second at a time). The host tells it which
// project the services have open; it never opens anything else, and it is only ever asked by id.
import { parentPort } from 'node:worker_threads';
import { openProject, type Project } from '../../project/project.ts';
import { readProjectImage } from '../services/image-files.ts';
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

if (parentPort) {
  parentPort.on('message', (m: ToImageReader) => {
    if (m.type === 'project') openOnly(m.dir);
    else void read(m);
  });
}
