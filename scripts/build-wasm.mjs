#!/usr/bin/env node
// Assembles every .wat source listed in wat.mjs into its TypeScript module (needs the wabt development
// dependency). Usage: npm run build:wasm
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './bundle-layout.mjs';
import { WAT_SOURCES, assembleWat, wasmModuleSource } from './wat.mjs';

for (const { source, module } of WAT_SOURCES) {
  const bytes = await assembleWat(source);
  writeFileSync(join(ROOT, module), wasmModuleSource(source, bytes));
  console.log(`${source} -> ${module} (${bytes.length} bytes)`);
}
