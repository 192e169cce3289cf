import type { Command } from '../command.ts';
import { CliError, optionalInt, requireString } from '../command.ts';
import { withJobSession } from '../job-session.ts';
import type { Project } from '../../project/project.ts';
import { DEFAULT_SEED } from '../../base/random.ts';
import { ClusteringInputError } from '../../pipeline/cluster/clustering-errors.ts';
import { evaluateRun, hasGroundTruth } from '../../pipeline/cluster/evaluate.ts';
import { parseKRange, runKScan, type KScanResult } from '../../pipeline/cluster/kscan.ts';
import { runKmeans } from '../../pipeline/cluster/run-kmeans.ts';
import { runSpice } from '../../pipeline/cluster/spice.ts';
import { clusterSizes, getRun } from '../../db/runs-repo.ts';
import { formatMetric, formatTable, openExistingProject } from '../cluster-shared.ts';

const usage =
  'spice-workbench cluster --project <dir> [--method spice|kmeans] --k <n>|<a>..<b> [--seed <n>] [--backbone <name>] [--restarts <n>] [--scan-only] [--stability] [--json]';

export const clusterCommand: Command = {
  name: 'cluster',
  usage,
  summary: 'Cluster the embedded images (SPICE or k-means); a k range (5..30) scans k with k-means first and proposes one.',
  options: {
    project: { type: 'string' },
    method: { type: 'string' },
    k: { type: 'string' },
    seed: { type: 'string' },
    backbone: { type: 'string' },
    restarts: { type: 'string' },
    'scan-only': { type: 'boolean' },
    stability: { type: 'boolean' },
    json: { type: 'boolean' },
  },
  async run(args) {
    const dir = requireString(args, 'project', usage);
    const method = (args.values.method as string | undefined) ?? 'spice';
    if (method !== 'spice' && method !== 'kmeans') throw new CliError(`--method must be spice or kmeans, got '${method}'`, 2);
    let range: { kMin: number; kMax: number };
    try {
      range = parseKRange(requireString(args, 'k', usage));
    } catch (err) {
      if (err instanceof ClusteringInputError) throw new CliError(err.message, 2);
      throw err;
    }
    const seed = optionalInt(args, 'seed') ?? DEFAULT_SEED;
    const restarts = optionalInt(args, 'restarts');
    if (restarts !== undefined && restarts < 1) throw new CliError('--restarts must be at least 1', 2);
    const backbone = args.values.backbone as string | undefined;
    const json = Boolean(args.values.json);

    const project = openExistingProject(dir);
    return withJobSession(
      project,
      {
        cancelled: 'clustering cancelled: nothing was stored for the unfinished run',
      },
      async () => {
        let k = range.kMin;
        let scan: KScanResult | null = null;
        if (range.kMax > range.kMin) {
          scan = await runKScan(project, { backbone, kMin: range.kMin, kMax: range.kMax, seed, restarts, stability: Boolean(args.values.stability) });
          k = scan.proposedK;
          if (!json) console.log(formatScan(scan));
          if (args.values['scan-only']) {
            if (json) console.log(JSON.stringify({ scan }));
            return 0;
          }
        }
        const runId = method === 'kmeans' ? await runKmeans(project, { backbone, k, seed, restarts }) : await runSpice(project, { backbone, k, seed });
        const summary = describeRun(project, runId);
        console.log(json ? JSON.stringify({ ...(scan ? { scan } : {}), ...summary }) : formatRun(summary));
        return 0;
      },
    );
  },
};

interface RunSummary {
  run: number;
  method: string;
  k: number;
  state: string;
  seconds: number | null;
  clusterSizes: number[];
  metrics: { acc: number; nmi: number; ari: number; labelled: number } | null;
}

function describeRun(project: Project, runId: number): RunSummary {
  const run = getRun(project.db, runId);
  if (!run) throw new Error(`run ${runId} vanished`);
  let metrics: RunSummary['metrics'] = null;
  if (hasGroundTruth(project.db)) {
    const e = evaluateRun(project.db, runId);
    metrics = { acc: e.metrics.acc, nmi: e.metrics.nmi, ari: e.metrics.ari, labelled: e.labelled };
  }
  return {
    run: run.id,
    method: run.method,
    k: run.k,
    state: run.state,
    seconds: run.finishedAt === null ? null : (run.finishedAt - run.createdAt) / 1000,
    clusterSizes: clusterSizes(project.db, runId),
    metrics,
  };
}

function formatRun(s: RunSummary): string {
  const lines = [
    `run ${s.run}: ${s.method}, k=${s.k}, ${s.state}${s.seconds === null ? '' : ` in ${s.seconds.toFixed(1)} s`}`,
    `cluster sizes: ${s.clusterSizes.join(' ')}`,
  ];
  if (s.metrics) {
    lines.push(
      `against folder labels (${s.metrics.labelled} images): ACC ${formatMetric(s.metrics.acc)}  NMI ${formatMetric(s.metrics.nmi)}  ARI ${formatMetric(s.metrics.ari)}`,
    );
  }
  return lines.join('\n');
}

function formatScan(scan: KScanResult): string {
  const rows = scan.rows.map((r) => [
    String(r.k),
    r.silhouette.toFixed(4),
    r.inertia.toFixed(1),
    r.stability === null ? '-' : r.stability.toFixed(3),
    r.k === scan.proposedK ? '<- proposed' : '',
  ]);
  return [
    `k scan on ${scan.fitPoints} of ${scan.n} images (silhouette on ${scan.silhouettePoints}, cosine distance):`,
    formatTable(['k', 'silhouette', 'inertia', 'stability', ''], rows),
    `proposed k = ${scan.proposedK} (highest mean silhouette)`,
  ].join('\n');
}
