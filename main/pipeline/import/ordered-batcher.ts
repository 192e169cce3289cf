/**
 * Collects results that finish out of order and hands them to `flush` in input order, in batches of
 * `maxRows`, or sooner when `maxDelayMs` has passed since the last flush (so slow, large images still
 * get committed often). In-order flushing makes "which of two identical files is the original"
 * depend only on the walk order, not on which decode finished first.
 */
export class OrderedBatcher<R> {
  private readonly ready = new Map<number, R>();
  private nextIndex = 0;
  private lastFlush = Date.now();

  constructor(
    private readonly flush: (rows: R[]) => void,
    private readonly options: { maxRows: number; maxDelayMs: number },
  ) {}

  put(index: number, row: R): void {
    this.ready.set(index, row);
    this.drain(false);
  }

  /** Flushes every contiguous finished row; call once all started work has ended. */
  finish(): void {
    this.drain(true);
  }

  private drain(force: boolean): void {
    for (;;) {
      let n = 0;
      while (n < this.options.maxRows && this.ready.has(this.nextIndex + n)) n++;
      if (n === 0) return;
      const due = force || n >= this.options.maxRows || Date.now() - this.lastFlush >= this.options.maxDelayMs;
      if (!due) return;
      const rows: R[] = [];
      for (let i = 0; i < n; i++) {
        rows.push(this.ready.get(this.nextIndex)!);
        this.ready.delete(this.nextIndex++);
      }
      this.lastFlush = Date.now();
      this.flush(rows);
    }
  }
}
