import { commands } from './commands/index.ts';
import { CliError, parse, type ParsedArgs } from './command.ts';
import { projectDbPath } from '../project/project.ts';
import { describeDbError, ProjectDatabaseError } from '../db/database-errors.ts';
import { AppError } from '../base/errors.ts';

function help(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'usage: spice-workbench <command> [options]',
    '',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}\n  ${' '.repeat(width)}  ${c.usage}`),
    '',
    'Run `spice-workbench <command> --help` for one command.',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(help());
    return name ? 0 : 2;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    console.error(`unknown command '${name}'\n\n${help()}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(`${command.summary}\nusage: ${command.usage}`);
    return 0;
  }
  let args: ParsedArgs | undefined;
  try {
    args = parse(command, rest);
    return await command.run(args);
  } catch (err) {
    if (err instanceof CliError) {
      console.error(`error: ${err.message}`);
      return err.exitCode;
    }
    // A wrong input, something not found, a locked or damaged project: said in one line, no stack.
    const known = err instanceof AppError ? err : databaseProblem(err, args);
    if (known) {
      console.error(`error: ${known.message}`);
      return 1;
    }
    console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
    return 1;
  }
}

/** A damaged, read-only, full or locked project database, said in one line that names the file. */
function databaseProblem(err: unknown, args: ParsedArgs | undefined): ProjectDatabaseError | null {
  if (err instanceof ProjectDatabaseError) return err;
  const project = args?.values.project;
  if (typeof project !== 'string' || project === '') return null;
  // Only SQLite's own errors are about the project file; a missing image folder is not.
  if (!String((err as { code?: unknown } | null)?.code ?? '').startsWith('SQLITE_')) return null;
  const described = describeDbError(projectDbPath(project), err);
  return described instanceof ProjectDatabaseError ? described : null;
}
