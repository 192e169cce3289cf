import type { Command } from '../command.ts';
import { statusCommand } from './status.ts';

// One line per command; each lives in its own file beside this one.
export const commands: Command[] = [
  statusCommand,
];
