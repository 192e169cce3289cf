/** Rate and ETA over a sliding window of recent samples, so a slow start does not skew the ETA. */
export class RateMeter {
  private samples: Array<{ t: number; done: number }> = [];

  constructor(
    private readonly windowMs = 10_000,
    private readonly now: () => number = () => Date.now(),
  ) {}

  reset(done = 0): void {
    this.samples = [{ t: this.now(), done }];
  }

  /** Records `done` and returns units per second over the window. */
  update(done: number): number {
    const t = this.now();
    if (this.samples.length === 0) this.samples.push({ t, done: 0 });
    this.samples.push({ t, done });
    while (this.samples.length > 2 && t - this.samples[1].t > this.windowMs) this.samples.shift();
    const first = this.samples[0];
    const dt = (t - first.t) / 1000;
    return dt > 0 ? Math.max(0, (done - first.done) / dt) : 0;
  }
}

export function etaSeconds(done: number, total: number | null, rate: number): number | null {
  if (total === null || rate <= 0) return null;
  return Math.max(0, (total - done) / rate);
}

export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const mm = String(m).padStart(2, '0');
  const ss = String(sec).padStart(2, '0');
  return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}
