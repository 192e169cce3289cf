// Process boundaries the architecture rests on, checked on the sources: only main/electron (and the
// preload) import Electron, and the shared contract imports nothing from Node, the DOM or Electron.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { REPO_DIR } from '../helpers/paths.ts';

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sources(p));
    else if (name.endsWith('.ts')) out.push(p);
  }
  return out;
}

const IMPORT = /(?:^|\n)\s*(import|export)\s+(type\s+)?[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

function imports(file: string): Array<{ spec: string; typeOnly: boolean }> {
  const text = readFileSync(file, 'utf8');
  const out: Array<{ spec: string; typeOnly: boolean }> = [];
  for (const m of text.matchAll(IMPORT)) out.push({ spec: m[3] ?? m[4], typeOnly: Boolean(m[2]) });
  return out;
}

test('only main/electron and the preload import Electron at run time', () => {
  const offenders = sources(join(REPO_DIR, 'main'))
    .filter((f) => !relative(REPO_DIR, f).startsWith(join('main', 'electron')))
    .filter((f) => imports(f).some((i) => i.spec === 'electron' && !i.typeOnly))
    .map((f) => relative(REPO_DIR, f));
  assert.deepEqual(offenders, []);
});

test('the IPC adapter takes only types from Electron, so it runs under plain Node', () => {
  const adapter = imports(join(REPO_DIR, 'main', 'electron', 'ipc-adapter.ts'));
  assert.ok(adapter.filter((i) => i.spec === 'electron').every((i) => i.typeOnly));
});

test('the contract is pure: no Node, DOM-only or Electron imports', () => {
  for (const file of sources(join(REPO_DIR, 'preload', 'contract'))) {
    for (const i of imports(file)) {
      assert.ok(i.spec.startsWith('./'), `${relative(REPO_DIR, file)} imports ${i.spec}`);
    }
  }
});
