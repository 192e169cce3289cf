import { realpathSync, statSync } from 'node:fs';
import { relative } from 'node:path';
import type { Command } from '../command.ts';
import { CliError, optionalInt, requireString } from '../command.ts';
import { openExistingProject } from '../cluster-shared.ts';
import { walkImageFolder } from '../../pipeline/import/walk.ts';
import { embedFiles } from '../../pipeline/embed/embed-job.ts';
import { getBackboneById } from '../../db/backbones-repo.ts';
import { getRun } from '../../db/runs-repo.ts';
import { getClusterNames } from '../../pipeline/cluster/cluster-names.ts';
import { hasRunModel, predictWithRunModel } from '../../pipeline/cluster/run-model.ts';
import { csvRecord } from '../../base/csv.ts';

const usage = 'spice-workbench classify --project <dir> --run <id> <image-or-folder> [--json]';

interface Classified {
  path: string;
  class: string;
  cluster: number | null;
  confidence: number | null;
  error?: string;
}

export const classifyCommand: Command = {
  name: 'classify',
  usage,
  summary: "Classify new images with a finished run: embed them with the run's backbone, predict with its classifier.",
  options: { project: { type: 'string' }, run: { type: 'string' }, json: { type: 'boolean' } },
  async run(args) {
    const dir = requireString(args, 'project', usage);
    const runId = optionalInt(args, 'run');
    if (runId === undefined) throw new CliError(`--run is required\nusage: ${usage}`, 2);
    if (args.positionals.length !== 1) throw new CliError(`give one image or folder\nusage: ${usage}`, 2);
    const target = args.positionals[0];
    let targetReal: string;
    try {
      targetReal = realpathSync(target);
    } catch {
      throw new CliError(`no such file or folder: ${target}`);
    }
    const project = openExistingProject(dir);
    try {
      const run = getRun(project.db, runId);
      if (!run) throw new CliError(`there is no run ${runId}`);
      if (run.state !== 'done') throw new CliError(`run ${runId} is ${run.state}; classify needs a finished run`);
      if (!hasRunModel(project.db, runId)) {
        const spiceRun = (run.report as { spiceRun?: number } | null)?.spiceRun;
        throw new CliError(
          `run ${runId} (${run.method}) stores no classifier` +
            (spiceRun !== undefined ? `: classify with its SPICE run instead (--run ${spiceRun})` : ': classify with a SPICE, refine or k-means run'),
        );
      }
      const backbone = getBackboneById(project.db, run.backboneId);
      if (!backbone) throw new CliError(`the backbone of run ${runId} is no longer in the project`);

      const isFolder = statSync(targetReal).isDirectory();
      const files = isFolder ? (await walkImageFolder(targetReal)).files.map((f) => f.path) : [targetReal];
      if (files.length === 0) throw new CliError(`no images under ${target}`);
      const embedded = await embedFiles(project, backbone, files);
      const okIndex = files.flatMap((_, i) => (embedded.ok[i] ? [i] : []));
      const { probs } = await predictWithRunModel(project.db, runId, embedded.data, files.length, embedded.dim);
      const names = getClusterNames(project.db, runId);
      const errorByPath = new Map(embedded.errors.map((e) => [e.path, e.reason]));
      const results: Classified[] = files.map((file, i) => {
        const shown = isFolder ? relative(targetReal, file) : target;
        if (!embedded.ok[i]) return { path: shown, class: '', cluster: null, confidence: null, error: errorByPath.get(file) ?? 'could not be embedded' };
        const { cluster, confidence } = argmax(probs.subarray(i * run.k, (i + 1) * run.k));
        return { path: shown, class: names[cluster] ?? '', cluster, confidence };
      });
      const unnamed = results.filter((r) => !r.error && r.class === '').length;
      if (unnamed > 0) {
        console.error(
          `note: ${unnamed} of ${results.length} images fell in clusters of run ${runId} that have no class name yet, so their class is empty; ` +
            "name the clusters in the app's Mapping screen (or import labels and refine) to get classes",
        );
      }
      if (args.values.json) {
        console.log(JSON.stringify({ run: runId, method: run.method, backbone: backbone.name, images: results }));
      } else {
        console.log(csvRecord(['path', 'class', 'cluster', 'confidence']));
        for (const r of results) {
          if (r.error) console.error(`${r.path}: not classified: ${r.error}`);
          else console.log(csvRecord([r.path, r.class, r.cluster, r.confidence === null ? null : r.confidence.toFixed(4)]));
        }
      }
      return okIndex.length === files.length ? 0 : 1;
    } finally {
      project.close();
    }
  },
};

function argmax(p: Float32Array): { cluster: number; confidence: number } {
  let cluster = 0;
  for (let j = 1; j < p.length; j++) if (p[j] > p[cluster]) cluster = j;
  return { cluster, confidence: p[cluster] };
}
