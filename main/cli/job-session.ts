// What every long-running command does around its work: job progress on stderr, Ctrl-C cancels the
// project's jobs (and aborts `signal`), a cancelled job exits 130 with a line saying what is kept.
import type { CliError } from './command.ts';
import { createProgressPrinter } from './progress-printer.ts';
import type { Project } from '../project/project.ts';
import { JobCancelledError } from '../jobs/runner.ts';

export interface JobSessionOptions {
  /** Printed when the work is cancelled; says what was kept. */
  cancelled: string;
  /**
   * A CliError for an error this command words its own way (undefined: the error is rethrown as it is;
   * the CLI prints any AppError's message without a stack).
   */
  toCliError?: (err: unknown) => CliError | undefined;
  /** Close the project when the work ends (default true). */
  closeProject?: boolean;
}

export async function withJobSession(project: Project, options: JobSessionOptions, work: (signal: AbortSignal) => Promise<number>): Promise<number> {
  const stopPrinting = project.jobs.onEvent(createProgressPrinter());
  const controller = new AbortController();
  const onSigint = () => {
    controller.abort();
    project.jobs.cancelAll();
  };
  process.once('SIGINT', onSigint);
  try {
    return await work(controller.signal);
  } catch (err) {
    if (err instanceof JobCancelledError) {
      console.error(options.cancelled);
      return 130;
    }
    throw options.toCliError?.(err) ?? err;
  } finally {
    process.off('SIGINT', onSigint);
    stopPrinting();
    if (options.closeProject ?? true) project.close();
  }
}
