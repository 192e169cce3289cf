import { parseArgs, type ParseArgsConfig } from 'node:util';

export type Options = NonNullable<ParseArgsConfig['options']>;

export interface Command {
  name: string;
  /** One line: the synopsis shown in `spice-workbench --help`. */
  usage: string;
  summary: string;
  options: Options;
  run(args: ParsedArgs): Promise<number>;
}

export interface ParsedArgs {
  values: Record<string, string | boolean | string[] | boolean[] | undefined>;
  positionals: string[];
}

/** A user-facing error: printed without a stack trace, exit code 2 for usage, 1 otherwise. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export function parse(command: Command, argv: string[]): ParsedArgs {
  try {
    const { values, positionals } = parseArgs({ args: argv, options: command.options, allowPositionals: true, strict: true });
    return { values: values as ParsedArgs['values'], positionals };
  } catch (err) {
    throw new CliError(`${(err as Error).message}\nusage: ${command.usage}`, 2);
  }
}

export function requireString(args: ParsedArgs, name: string, usage: string): string {
  const v = args.values[name];
  if (typeof v !== 'string' || v === '') throw new CliError(`--${name} is required\nusage: ${usage}`, 2);
  return v;
}

export function optionalInt(args: ParsedArgs, name: string): number | undefined {
  const v = args.values[name];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (typeof v !== 'string' || !Number.isInteger(n)) throw new CliError(`--${name} must be an integer, got ${String(v)}`, 2);
  return n;
}
