// A value loaded from the bridge for a key: stale responses (an older key) are dropped,
// the previous value stays visible while the next one loads.
import { errorMessage } from '../util/format.ts';

export class Loader<T> {
  value: T | null = $state.raw(null);
  loading = $state(false);
  error: string | null = $state(null);
  private key = '';
  private seq = 0;

  /** Loads unless `key` equals the key of the value held (pass force to reload anyway). */
  async load(key: string, fetch: () => Promise<T>, force = false): Promise<void> {
    if (!force && key === this.key && (this.value !== null || this.loading)) return;
    const seq = ++this.seq;
    if (key !== this.key) this.error = null;
    this.key = key;
    this.loading = true;
    try {
      const v = await fetch();
      if (seq !== this.seq) return;
      this.value = v;
      this.error = null;
    } catch (err) {
      if (seq !== this.seq) return;
      this.error = errorMessage(err);
    } finally {
      if (seq === this.seq) this.loading = false;
    }
  }

  reset(): void {
    this.seq++;
    this.key = '';
    this.value = null;
    this.error = null;
    this.loading = false;
  }
}
