import type { JobEvent, JobProgress } from '../../preload/contract/jobs.ts';
import { formatDuration } from '../jobs/progress.ts';

/**
 * Prints job events: a redrawn progress bar on a terminal, plain lines (at most one per 2 s per
 * stage) when stdout is a pipe or a file, so logs stay readable.
 */
export function createProgressPrinter(stream: NodeJS.WriteStream = process.stderr): (e: JobEvent) => void {
  const tty = Boolean(stream.isTTY);
  let barShown = false;
  let lastPlain = 0;
  let lastStage = '';

  const clearBar = () => {
    if (tty && barShown) {
      stream.write('\r\x1b[2K');
      barShown = false;
    }
  };

  return (e) => {
    switch (e.type) {
      case 'started':
        clearBar();
        stream.write(`${e.kind}: started (job ${e.jobId})\n`);
        break;
      case 'log':
        clearBar();
        stream.write(`${e.level === 'info' ? '' : `${e.level}: `}${e.message}\n`);
        break;
      case 'progress': {
        const p = e.progress;
        if (tty) {
          stream.write(`\r\x1b[2K${renderBar(p, stream.columns ?? 100)}`);
          barShown = true;
        } else {
          const now = Date.now();
          const finishedStage = p.total !== null && p.done >= p.total;
          if (p.stage !== lastStage || finishedStage || now - lastPlain >= 2000) {
            lastPlain = now;
            lastStage = p.stage;
            stream.write(`${renderLine(p)}\n`);
          }
        }
        break;
      }
      case 'finished':
        clearBar();
        stream.write(`${e.kind}: ${e.state}${e.error ? `: ${e.error}` : ''}\n`);
        break;
    }
  };
}

export function renderLine(p: JobProgress): string {
  const count = p.total === null ? `${p.done} ${p.unit}` : `${p.done}/${p.total} ${p.unit}`;
  const pct = p.total ? ` ${((100 * p.done) / p.total).toFixed(1)}%` : '';
  return `${p.kind}${p.stage ? ` [${p.stage}]` : ''} ${count}${pct} ${p.rate.toFixed(1)}/s ETA ${formatDuration(p.etaSeconds)}${p.message ? ` ${p.message}` : ''}`;
}

function renderBar(p: JobProgress, columns: number): string {
  const text = renderLine(p);
  const width = Math.max(10, Math.min(40, columns - text.length - 4));
  const frac = p.total ? Math.min(1, p.done / p.total) : 0;
  const filled = Math.round(frac * width);
  const line = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${text}`;
  return line.slice(0, columns - 1);
}
