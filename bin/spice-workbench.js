#!/usr/bin/env node
// The CLI runs the TypeScript sources through tsx's loader, so the same files serve tests, CLI and bridge.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../main/cli/index.ts');
process.exitCode = await main(process.argv.slice(2));
