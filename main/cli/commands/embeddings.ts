import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from '../command.ts';
import { CliError, requireString } from '../command.ts';
import { openExistingProject } from '../cluster-shared.ts';
import { withJobSession } from '../job-session.ts';
import { mergeShardFiles } from '../../pipeline/embed/merge-shards.ts';
import { ShardFileError } from '../../pipeline/embed/shard-file.ts';

const usage = 'spice-workbench embeddings merge --project <dir> <shard-file>... [--json]';

export const embeddingsCommand: Command = {
  name: 'embeddings',
  usage,
  summary: 'Add the vectors of `embed --shard i/N --out <file>` runs (other machines, other copies of the project) to the project; merging twice changes nothing.',
  options: {
    project: { type: 'string' },
    json: { type: 'boolean' },
  },
  async run(args) {
    const [action, ...files] = args.positionals;
    if (action !== 'merge') throw new CliError(`embeddings: give 'merge'\nusage: ${usage}`, 2);
    if (files.length === 0) throw new CliError(`embeddings merge: give the shard files\nusage: ${usage}`, 2);
    const dir = requireString(args, 'project', usage);
    const paths = files.map((f) => resolve(f));
    const absent = paths.filter((p) => !existsSync(p));
    if (absent.length > 0) throw new CliError(`no such shard file: ${absent.join(', ')}`);
    const project = openExistingProject(dir);
    return withJobSession(
      project,
      {
        cancelled: 'merge cancelled: the vectors merged so far are kept; run the same command again to finish',
        toCliError: (err) => new CliError(err instanceof ShardFileError ? err.message : `cannot merge: ${(err as Error).message}`),
      },
      async (signal) => {
        const summary = await mergeShardFiles(project, paths, { signal });
        if (args.values.json) {
          console.log(JSON.stringify(summary));
          return 0;
        }
        console.log(`backbone ${summary.backboneName} (id ${summary.backboneId}): ${summary.added} vectors added`);
        for (const f of summary.files) {
          console.log(
            `  ${f.path} (shard ${f.shard}): ${f.rows} vectors, ${f.added} added, ${f.alreadyStored} already stored` +
              (f.unknownImages ? `, ${f.unknownImages} of images not in this project` : ''),
          );
        }
        return 0;
      },
    );
  },
};
