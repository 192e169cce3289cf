import { resolve } from 'node:path';
import type { Command, ParsedArgs } from '../command.ts';
import { CliError, optionalInt, requireString } from '../command.ts';
import { withJobSession } from '../job-session.ts';
import { openProject, projectExists } from '../../project/project.ts';
import type { Triple } from '../../models/registry.ts';
import { embedProject, type EmbedSummary } from '../../pipeline/embed/embed-job.ts';
import { parseViewCounts } from '../../pipeline/embed/views.ts';
import { parseShard, type Shard } from '../../pipeline/embed/shard.ts';
import { writeProjectShard } from '../../pipeline/embed/write-shard.ts';

const usage =
  'spice-workbench embed --project <dir> --model <onnx-file|registry-name|project:name> [--size <px>] [--views weak=4,strong=4,fixed=4] ' +
  '[--seed N] [--batch N] [--replace] [--name NAME] [--mean r,g,b --std r,g,b] [--workers N] [--shard i/N --out <shard-file>] [--image-root <dir>]';

export const embedCommand: Command = {
  name: 'embed',
  usage,
  summary:
    'Embed every image (and a view bank: random weak/strong views, fixed=0..4 deterministic ones) with a backbone; rerun to resume, only missing vectors are computed.',
  options: {
    project: { type: 'string' },
    model: { type: 'string' },
    size: { type: 'string' },
    views: { type: 'string' },
    seed: { type: 'string' },
    batch: { type: 'string' },
    replace: { type: 'boolean' },
    name: { type: 'string' },
    mean: { type: 'string' },
    std: { type: 'string' },
    workers: { type: 'string' },
    shard: { type: 'string' },
    out: { type: 'string' },
    'image-root': { type: 'string' },
  },
  async run(args) {
    const projectDir = requireString(args, 'project', usage);
    const model = requireString(args, 'model', usage);
    if (args.positionals.length > 0) throw new CliError(`unexpected argument '${args.positionals[0]}'\nusage: ${usage}`, 2);
    const size = positive(args, 'size');
    const batchSize = positive(args, 'batch');
    const workers = positive(args, 'workers');
    const seed = optionalInt(args, 'seed');
    if (seed !== undefined && (seed < 0 || seed > 0x7fffffff)) throw new CliError('--seed must be from 0 to 2147483647', 2);
    let views;
    try {
      views = typeof args.values.views === 'string' ? parseViewCounts(args.values.views) : undefined;
    } catch (err) {
      throw new CliError((err as Error).message, 2);
    }
    const mean = triple(args, 'mean');
    const std = triple(args, 'std');
    if (std?.some((s) => s <= 0)) throw new CliError('--std values must be positive', 2);
    let shard: Shard | undefined;
    const out = typeof args.values.out === 'string' ? resolve(args.values.out) : undefined;
    if (typeof args.values.shard === 'string') {
      try {
        shard = parseShard(args.values.shard);
      } catch (err) {
        throw new CliError((err as Error).message, 2);
      }
      if (!out) throw new CliError(`--shard needs --out <file> for the shard's vectors (merged later with \`spice-workbench embeddings merge\`)\nusage: ${usage}`, 2);
    } else if (out) throw new CliError(`--out is for --shard i/N\nusage: ${usage}`, 2);
    if (!projectExists(projectDir)) throw new CliError(`no project at ${projectDir} (create it with \`spice-workbench import <folder> --project ${projectDir}\`)`);

    const project = openProject(projectDir);
    return withJobSession(
      project,
      {
        cancelled: 'embed cancelled: stored vectors are kept; run the same command again to finish',
        toCliError: (err) => new CliError((err as Error).message),
      },
      async () => {
        const summary = await embedProject(project, {
          backbone: model,
          size,
          views,
          seed,
          batchSize,
          workers,
          mean,
          std,
          name: typeof args.values.name === 'string' ? args.values.name : undefined,
          replace: Boolean(args.values.replace),
          shard,
          imageRoot: typeof args.values['image-root'] === 'string' ? resolve(args.values['image-root']) : undefined,
        });
        console.log(formatEmbedSummary(summary));
        if (shard && out) {
          const written = writeProjectShard(project, { backboneId: summary.backboneId, model, views: summary.views, shard, path: out });
          console.log(
            `  shard ${shard.index}/${shard.count}   ${written.rows} vectors written to ${written.path}${written.missing ? ` (${written.missing} missing: images that failed)` : ''}`,
          );
        }
        return summary.failed.length > 0 ? 1 : 0;
      },
    );
  },
};

export function formatEmbedSummary(s: EmbedSummary): string {
  const lines = [
    `backbone ${s.backboneName} (id ${s.backboneId}) at ${s.inputSize} px${s.provider ? ` on ${s.provider}` : ''}`,
    `  views           ${s.views.join(', ')}`,
    `  computed        ${s.computed}${s.computed ? ` in ${s.seconds.toFixed(1)} s (${s.rate.toFixed(1)}/s)` : ''}`,
    `  already stored  ${s.alreadyPresent}`,
    `  failed          ${s.failed.length}`,
  ];
  for (const f of s.failed.slice(0, 10)) lines.push(`    ${f.path} (${f.view}): ${f.reason}`);
  if (s.failed.length > 10) lines.push(`    ... and ${s.failed.length - 10} more`);
  return lines.join('\n');
}

function positive(args: ParsedArgs, name: string): number | undefined {
  const v = optionalInt(args, name);
  if (v !== undefined && v < 1) throw new CliError(`--${name} must be at least 1`, 2);
  return v;
}

function triple(args: ParsedArgs, name: string): Triple | undefined {
  const v = args.values[name];
  if (v === undefined) return undefined;
  const parts = String(v)
    .split(',')
    .map((x) => Number(x.trim()));
  if (parts.length !== 3 || parts.some((x) => !Number.isFinite(x))) throw new CliError(`--${name} must be three numbers like 0.485,0.456,0.406, got '${String(v)}'`, 2);
  return [parts[0], parts[1], parts[2]];
}
