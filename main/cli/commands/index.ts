import type { Command } from '../command.ts';
import { statusCommand } from './status.ts';
import { importCommand } from './import.ts';
import { clusterCommand } from './cluster.ts';
import { evalCommand } from './eval.ts';
import { exportCommand } from './export.ts';
import { serveCommand } from './serve.ts';
import { embedCommand } from './embed.ts';
import { exportEmbeddingsCommand } from './export-embeddings.ts';
import { embeddingsCommand } from './embeddings.ts';
import { pretrainCommand } from './pretrain.ts';
import { runCommand } from './run.ts';
import { classifyCommand } from './classify.ts';
import { demoCommand } from './demo.ts';
import { labelsCommand } from './labels.ts';
import { refineCommand } from './refine.ts';

// One line per command; each lives in its own file beside this one.
export const commands: Command[] = [
  importCommand,
  embedCommand,
  pretrainCommand,
  clusterCommand,
  runCommand,
  labelsCommand,
  refineCommand,
  evalCommand,
  exportCommand,
  classifyCommand,
  statusCommand,
  exportEmbeddingsCommand,
  embeddingsCommand,
  serveCommand,
  demoCommand,
];
