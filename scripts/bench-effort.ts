// A person's effort to label a project, with and without refine (scripts/effort/simulate.ts says how
// actions are counted). Usage:
//   npm run bench:effort -- --project <dir> [--batch 50] [--budget <actions>] [--seed-labels <n per class>] [--refine-settings <json>]
// The project must be clustered and imported with --labels-from-folders (the simulated person's truth);
// it is never written: each person works on a copy. Last line: one JSON object.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { projectDbPath } from '../main/project/project.ts';
import { parseRefineOverrides, withRefineDefaults } from './effort/refine-overrides.ts';
import { simulateEffort, type PersonResult } from './effort/simulate.ts';

const usage = 'npm run bench:effort -- --project <dir> [--batch 50] [--budget <actions>] [--seed-labels <n per class>] [--refine-settings <json>]';
const { values } = parseArgs({
  options: {
    project: { type: 'string' },
    batch: { type: 'string' },
    budget: { type: 'string' },
    'seed-labels': { type: 'string' },
    'refine-settings': { type: 'string' },
  },
});
if (!values.project) throw new Error(`usage: ${usage}`);
const projectDir = resolve(values.project);
if (!existsSync(projectDbPath(projectDir))) throw new Error(`no project at ${projectDir}`);
const int = (v: string | undefined, fallback: number, name: string) => {
  const n = v === undefined ? fallback : Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a whole number, got ${v}`);
  return n;
};
const batch = int(values.batch, 50, 'batch');
const budget = int(values.budget, Number.MAX_SAFE_INTEGER, 'budget');
const seedLabels = int(values['seed-labels'], 0, 'seed-labels');
if (batch < 1) throw new Error('--batch must be at least 1');
const overrides = parseRefineOverrides(values['refine-settings'] ?? '{}');
if (Object.keys(overrides).length > 0) console.error(`refine settings changed from the defaults: ${JSON.stringify(overrides)}`);

const t0 = performance.now();
const result = await withRefineDefaults(overrides, () =>
  simulateEffort({
    projectDir,
    batch,
    budget,
    seedLabelsPerClass: seedLabels,
    onBatch: (person, actions, acc) => console.error(`${person}: ${actions} actions, label accuracy ${(acc * 100).toFixed(1)}%`),
  }),
);
const row = (name: string, r: PersonResult) =>
  `${name.padEnd(9)} ${[r.actions_to_80, r.actions_to_90, r.actions_to_95].map((a) => String(a ?? '-').padStart(8)).join(' ')}`;
console.log(`${result.images} images, ${result.seed_labels} seed labels, batches of ${batch}; ${((performance.now() - t0) / 1000).toFixed(0)} s`);
console.log(
  `label accuracy after naming the clusters: ${(result.unsupervised_acc * 100).toFixed(1)}%, at the start (+ seed labels and one refine): ${(result.start_acc * 100).toFixed(1)}%`,
);
console.log(`longest refine: ${result.refine_seconds_max} s`);
console.log('actions to  ' + ['80 %', '90 %', '95 %'].map((s) => s.padStart(8)).join(' '));
console.log(row('refine', result.refine));
console.log(row('baseline', result.baseline));
console.log(JSON.stringify(result));
