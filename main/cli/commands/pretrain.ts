import type { Command, ParsedArgs } from '../command.ts';
import { CliError, optionalInt, requireString } from '../command.ts';
import { withJobSession } from '../job-session.ts';
import { openProject, projectExists } from '../../project/project.ts';
import { PretrainConfigError, pretrainProject, RESNET_BLOCKS, type PretrainSummary, type ResNetArch } from '../../pipeline/pretrain/index.ts';
import type { TfBackendName } from '../../ml/tf-backend.ts';

const usage =
  'spice-workbench pretrain --project <dir> --epochs <n> [--arch resnet18] [--width <n>] [--image-size <px>] [--batch <n>] [--name <name>] ' +
  '[--lr <x>] [--queue <n>] [--temperature <x>] [--key-momentum <x>] [--seed <n>] [--blur|--no-blur] [--backend auto|tensorflow-gpu|tensorflow|wasm|cpu] [--restart]';

export const pretrainCommand: Command = {
  name: 'pretrain',
  usage,
  summary: "Train a ResNet backbone on the project's own images with MoCo v2; rerun to resume; the result is backbone project:<name>.",
  options: {
    project: { type: 'string' },
    epochs: { type: 'string' },
    arch: { type: 'string' },
    width: { type: 'string' },
    'image-size': { type: 'string' },
    batch: { type: 'string' },
    name: { type: 'string' },
    lr: { type: 'string' },
    queue: { type: 'string' },
    temperature: { type: 'string' },
    'key-momentum': { type: 'string' },
    seed: { type: 'string' },
    blur: { type: 'boolean' },
    'no-blur': { type: 'boolean' },
    backend: { type: 'string' },
    restart: { type: 'boolean' },
  },
  async run(args) {
    const projectDir = requireString(args, 'project', usage);
    if (args.positionals.length > 0) throw new CliError(`unexpected argument '${args.positionals[0]}'\nusage: ${usage}`, 2);
    const epochs = optionalInt(args, 'epochs');
    if (epochs === undefined) throw new CliError(`--epochs is required\nusage: ${usage}`, 2);
    const arch = args.values.arch;
    if (arch !== undefined && !(typeof arch === 'string' && arch in RESNET_BLOCKS)) {
      throw new CliError(`--arch must be one of ${Object.keys(RESNET_BLOCKS).join(', ')}, got ${String(arch)}`, 2);
    }
    const backend = args.values.backend;
    if (backend !== undefined && !['auto', 'tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'].includes(String(backend))) {
      throw new CliError(`--backend must be auto, tensorflow-gpu, tensorflow, wasm or cpu, got ${String(backend)}`, 2);
    }
    if (args.values.blur && args.values['no-blur']) throw new CliError('--blur and --no-blur contradict each other', 2);
    if (!projectExists(projectDir)) throw new CliError(`no project at ${projectDir} (create it with \`spice-workbench import <folder> --project ${projectDir}\`)`);

    const project = openProject(projectDir);
    return withJobSession(
      project,
      {
        cancelled: 'pretrain cancelled: the last finished epoch is checkpointed; run the same command again to continue',
        toCliError: (err) => (err instanceof PretrainConfigError ? new CliError(err.message, 2) : new CliError((err as Error).message)),
      },
      async () => {
        const summary = await pretrainProject(project, {
          epochs,
          arch: arch as ResNetArch | undefined,
          width: optionalInt(args, 'width'),
          imageSize: optionalInt(args, 'image-size'),
          batchSize: optionalInt(args, 'batch'),
          name: typeof args.values.name === 'string' ? args.values.name : undefined,
          lr: optionalNumber(args, 'lr'),
          queueSize: optionalInt(args, 'queue'),
          temperature: optionalNumber(args, 'temperature'),
          keyMomentum: optionalNumber(args, 'key-momentum'),
          seed: optionalInt(args, 'seed'),
          blur: args.values.blur ? true : args.values['no-blur'] ? false : undefined,
          backend: backend as TfBackendName | 'auto' | undefined,
          restart: Boolean(args.values.restart),
        });
        console.log(formatPretrainSummary(summary));
        return 0;
      },
    );
  },
};

function optionalNumber(args: ParsedArgs, name: string): number | undefined {
  const v = args.values[name];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (typeof v !== 'string' || v.trim() === '' || !Number.isFinite(n)) throw new CliError(`--${name} must be a number, got ${String(v)}`, 2);
  return n;
}

export function formatPretrainSummary(s: PretrainSummary): string {
  if (s.alreadyDone) return `${s.backbone}: already trained (${s.epochs} epochs on ${s.images} images); use it with --model ${s.backbone}`;
  const loss = s.firstEpochLoss !== null && s.lastEpochLoss !== null ? `, loss ${s.firstEpochLoss.toFixed(3)} (first epoch) -> ${s.lastEpochLoss.toFixed(3)} (last)` : '';
  const resumed = s.resumedFromEpoch !== null ? `, resumed after epoch ${s.resumedFromEpoch}` : '';
  return (
    `${s.backbone}: trained ${s.epochs} epochs on ${s.images} images with ${s.backend}${resumed}${loss}; ` +
    `${s.steps} steps in ${s.seconds.toFixed(1)} s (${s.imagesPerSecond.toFixed(1)} img/s). Use it with --model ${s.backbone}`
  );
}
