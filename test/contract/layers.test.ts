// The layers and process boundaries the architecture rests on (docs/architecture.md), checked by
// dependency-cruiser with the rules in .dependency-cruiser.cjs: exactly what `npm run check:layers` runs,
// so `npm test` catches an upward import, an import cycle, or onnxruntime / a TensorFlow.js backend /
// Electron imported outside its one place.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_DIR } from '../helpers/paths.ts';

interface Violation {
  from: string;
  to: string;
  rule: { name: string; severity: string };
  cycle?: Array<{ name: string }>;
}

interface CruiseResult {
  modules: Array<{ source: string }>;
  summary: { violations: Violation[]; totalCruised: number; ruleSetUsed: { forbidden?: Array<{ name: string }> } };
}

/** The check:layers script's arguments, with JSON output instead of text. */
function cruiseArgs(): string[] {
  const pkg = JSON.parse(readFileSync(join(REPO_DIR, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  const [command, ...args] = pkg.scripts['check:layers'].split(/\s+/);
  assert.equal(command, 'depcruise');
  return [...args, '--output-type', 'json'];
}

test('no module imports across the layers, in a cycle, or a runtime outside its one place', () => {
  const bin = join(REPO_DIR, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');
  const res = spawnSync(process.execPath, [bin, ...cruiseArgs()], { cwd: REPO_DIR, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  assert.ok(res.stdout, `dependency-cruiser printed nothing (exit ${res.status}): ${res.stderr}`);
  const result = JSON.parse(res.stdout) as CruiseResult;

  // The check looked at the code it is meant to: every layer, the preload and the renderer, with the rules loaded.
  const sources = new Set(result.modules.map((m) => m.source));
  for (const file of [
    'preload/contract/api.ts',
    'main/base/random.ts',
    'main/project/project.ts',
    'main/pipeline/pretrain/pretrain-job.ts',
    'main/electron/main.ts',
    'preload/index.ts',
    'renderer/src/App.svelte',
  ]) {
    assert.ok(sources.has(file), `${file} was not cruised`);
  }
  const rules = new Set((result.summary.ruleSetUsed.forbidden ?? []).map((r) => r.name));
  for (const rule of [
    'no-circular',
    'no-circular-folders',
    'layer-pipeline',
    'stage-embed',
    'contract-is-pure',
    'onnxruntime-only-in-ml-onnx',
    'tf-backend-only-in-tf-backend',
    'electron-only-in-main-electron',
    'ipc-adapter-types-only',
    'renderer-only-contract',
  ]) {
    assert.ok(rules.has(rule), `rule ${rule} is not in .dependency-cruiser.cjs`);
  }

  const found = result.summary.violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}${v.cycle ? ` (cycle ${v.cycle.map((c) => c.name).join(' -> ')})` : ''}`);
  assert.deepEqual(found, [], `dependency-cruiser found ${found.length} violations (npm run check:layers shows them):\n${found.join('\n')}`);
  assert.equal(res.status, 0, res.stderr);
});
