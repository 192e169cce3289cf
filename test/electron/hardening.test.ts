// The desktop app's hardening that can be checked without running Electron: the fuses the packaged
// binary gets, and which development server address the window may load.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { devServerOrigin, sameOrigin } from '../../main/electron/dev-server.ts';
import { REPO_DIR } from '../helpers/paths.ts';

/** The `electronFuses:` block of electron-builder.yml as key -> value. */
function fuses(): Record<string, string> {
  const text = readFileSync(join(REPO_DIR, 'electron-builder.yml'), 'utf8');
  const block = /^electronFuses:\n((?:[ \t]+.*\n?)+)/m.exec(text);
  assert.ok(block, 'electron-builder.yml has no electronFuses block');
  return Object.fromEntries(
    block[1]
      .split('\n')
      .map((l) => l.replace(/#.*/, '').trim())
      .filter((l) => l !== '')
      .map((l) => l.split(/:\s*/) as [string, string]),
  );
}

test('the packaged app is built with the hardening fuses set', () => {
  const set = fuses();
  assert.deepEqual(set, {
    runAsNode: 'false',
    enableCookieEncryption: 'true',
    enableNodeOptionsEnvironmentVariable: 'false',
    enableNodeCliInspectArguments: 'false',
    enableEmbeddedAsarIntegrityValidation: 'true',
    onlyLoadAppFromAsar: 'true',
    loadBrowserProcessSpecificV8Snapshot: 'false',
    grantFileProtocolExtraPrivileges: 'false',
  });
  // Every name is one electron-builder knows (a misspelt fuse would be ignored, not refused).
  const schema = JSON.parse(readFileSync(join(REPO_DIR, 'node_modules/app-builder-lib/scheme.json'), 'utf8')) as {
    definitions: { FuseOptionsV1: { properties: Record<string, unknown> } };
  };
  for (const name of Object.keys(set)) assert.ok(name in schema.definitions.FuseOptionsV1.properties, `unknown fuse ${name}`);
});

test('only a plain http address on this machine with a port is taken as the development server', () => {
  assert.equal(devServerOrigin('http://localhost:5173', false), 'http://localhost:5173');
  assert.equal(devServerOrigin('http://localhost:5173/', false), 'http://localhost:5173');
  assert.equal(devServerOrigin('http://127.0.0.1:5173/', false), 'http://127.0.0.1:5173');
  for (const bad of [
    'http://localhost:@evil.example/',
    'http://localhost:5173@evil.example/',
    'http://user:pw@localhost:5173/',
    'http://localhost.evil.example:5173/',
    'http://evil.example/',
    'https://localhost:5173/',
    'file:///etc/passwd',
    'http://localhost/',
    'http://localhost:5173/../x',
    'http://localhost:5173/?next=evil',
    'javascript:alert(1)',
    'not a url',
    '',
  ]) {
    assert.equal(devServerOrigin(bad, false), undefined, bad);
  }
  // A packaged app never loads a development server, whatever the environment says.
  assert.equal(devServerOrigin('http://localhost:5173', true), undefined);
});

test('navigation stays on the app origin: a prefix or user-info trick does not pass', () => {
  assert.ok(sameOrigin('spice-app://renderer/index.html', 'spice-app://renderer'));
  assert.ok(sameOrigin('http://localhost:5173/#/grid', 'http://localhost:5173'));
  assert.ok(!sameOrigin('spice-app://renderer.evil/index.html', 'spice-app://renderer'));
  assert.ok(!sameOrigin('http://localhost:5173@evil.example/', 'http://localhost:5173'));
  assert.ok(!sameOrigin('http://localhost:51730/', 'http://localhost:5173'));
  assert.ok(!sameOrigin('https://example.com/', 'spice-app://renderer'));
});
