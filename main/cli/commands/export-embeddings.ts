import type { Command } from '../command.ts';
import { CliError, requireString } from '../command.ts';
import { openProject, projectExists } from '../../project/project.ts';
import { exportEmbeddings } from '../../pipeline/embed/embeddings-export.ts';

const usage = 'spice-workbench export-embeddings --project <dir> [--backbone <name>] [--view plain] --out <name>.npy';

export const exportEmbeddingsCommand: Command = {
  name: 'export-embeddings',
  usage,
  summary: 'Write stored embeddings as a float32 N x D .npy matrix plus <name>.csv (id,path,label) naming each row.',
  options: {
    project: { type: 'string' },
    backbone: { type: 'string' },
    view: { type: 'string' },
    out: { type: 'string' },
  },
  async run(args) {
    const projectDir = requireString(args, 'project', usage);
    const out = requireString(args, 'out', usage);
    if (args.positionals.length > 0) throw new CliError(`unexpected argument '${args.positionals[0]}'\nusage: ${usage}`, 2);
    if (!/\.npy$/i.test(out)) throw new CliError(`--out must end in .npy, got ${out}`, 2);
    if (!projectExists(projectDir)) throw new CliError(`no project at ${projectDir}`);
    const project = openProject(projectDir, { readonly: 'auto', create: false });
    try {
      const r = exportEmbeddings(project, {
        out,
        backbone: typeof args.values.backbone === 'string' ? args.values.backbone : undefined,
        view: typeof args.values.view === 'string' ? args.values.view : undefined,
      });
      console.log(`wrote ${r.rows} x ${r.dim} float32 (${r.backbone}, ${r.view}) to ${r.npyPath}\nrow names in ${r.csvPath}`);
      if (r.missing > 0) console.log(`${r.missing} images have no '${r.view}' vector and are not in the export`);
      return 0;
    } catch (err) {
      throw new CliError((err as Error).message);
    } finally {
      project.close();
    }
  },
};
