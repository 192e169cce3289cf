// The review queue: every image of the run in the suggested order (review.queue), one screenful at a
// time. The screen's images stay put while the person moves the wrong ones (so they see what they did);
// "accept the rest" confirms the others and the next screenful comes. A screen is shown by its own
// GridState (a 'set' of the screen's images), so the cursor, selection and keys are the grid's.
// "Previous" goes back through the screens shown (their images as they are labelled now), so a
// person can look again at what they just accepted, and fix it.
import type { AppState } from './app.svelte.ts';
import { GridState } from './grid.svelte.ts';
import { errorMessage } from '../util/format.ts';
import { acceptPlan, groupByLabel } from './review-plan.ts';

/** Screens "previous" can go back through. */
const MAX_BACK = 50;

export class ReviewState {
  readonly grid: GridState;
  /** Index of the screen's first image in the queue. */
  offset = $state(0);
  /** Images in the queue (with the filter); null before the first load. */
  total: number | null = $state(null);
  /** Images of the run without a person label. */
  unreviewed: number | null = $state(null);
  hideReviewed = $state(true);
  /** Images on the current screen's page of the queue. */
  screenSize = $state(0);
  /** Images that fit on screen now (the screen tells; the next screen takes this many). */
  fitSize = 0;
  loading = $state(false);
  /** True from accepting a screen until the next one is in: the old screen need not be refreshed. */
  advancing = false;
  error: string | null = $state(null);
  /** Screens shown before this one (their queue offset and images), for "previous"; and after it, once gone back. */
  private back: Array<{ offset: number; ids: number[] }> = [];
  private ahead: Array<{ offset: number; ids: number[] }> = [];
  /** How many screens "previous" can go back. */
  backCount = $state(0);
  /** The screen shown is one gone back to (its images no longer where they were in the queue). */
  revisiting = $state(false);
  private seq = 0;

  constructor(private readonly app: AppState) {
    this.grid = new GridState(() => app.bridge);
  }

  /** Loads the screen at `offset` (of `size` images, default the current screen size). */
  async load(offset = this.offset, size = this.fitSize || this.screenSize, forward = false): Promise<void> {
    const runId = this.app.runId;
    if (runId === null || size <= 0) return;
    if (forward && this.grid.set && this.grid.total) {
      this.back.push({ offset: this.offset, ids: this.grid.set.ids });
      if (this.back.length > MAX_BACK) this.back.shift();
    } else if (!forward) this.back = [];
    this.ahead = [];
    this.backCount = this.back.length;
    this.revisiting = false;
    const seq = ++this.seq;
    this.loading = true;
    this.error = null;
    try {
      let page = await this.app.bridge.call('review.queue', { runId, offset, limit: size, hideReviewed: this.hideReviewed });
      // Past the end (the queue shrank): show the last screen.
      if (page.items.length === 0 && offset > 0 && page.total > 0) {
        offset = Math.max(0, Math.floor((page.total - 1) / size) * size);
        page = await this.app.bridge.call('review.queue', { runId, offset, limit: size, hideReviewed: this.hideReviewed });
      }
      if (seq !== this.seq) return;
      this.screenSize = size;
      this.offset = offset;
      this.total = page.total;
      this.unreviewed = page.unreviewed;
      this.grid.showSet(runId, { id: Date.now(), title: 'Review queue', ids: groupByLabel(page.items), ordered: true }, page.items);
    } catch (err) {
      if (seq === this.seq) this.error = errorMessage(err);
    } finally {
      if (seq === this.seq) this.loading = false;
    }
  }

  /** Refreshes the counts after labels changed (the screen itself keeps its images). */
  async refreshCounts(): Promise<void> {
    const runId = this.app.runId;
    if (runId === null || this.total === null) return;
    try {
      const page = await this.app.bridge.call('review.queue', { runId, offset: 0, limit: 1, hideReviewed: this.hideReviewed });
      this.unreviewed = page.unreviewed;
      this.total = page.total;
    } catch {
      // The counts stay as they were; the next screen brings fresh ones.
    }
  }

  /** ]: the next screen without accepting; [: the screen shown before. */
  step(delta: number): Promise<void> {
    if (delta < 0) return this.revisit(this.back, this.ahead);
    // Gone back: forward first retraces the screens shown since.
    if (this.ahead.length > 0) return this.revisit(this.ahead, this.back);
    const next = this.offset + this.screenSize;
    if (this.total !== null && next >= this.total) return Promise.resolve();
    return this.load(next, undefined, true);
  }

  /** Shows the last screen of `from` again (its images as they are labelled now); the current one goes onto `to`. */
  private async revisit(from: Array<{ offset: number; ids: number[] }>, to: Array<{ offset: number; ids: number[] }>): Promise<void> {
    const runId = this.app.runId;
    if (runId === null) return;
    const screen = from.pop();
    if (!screen) {
      // Nothing shown before (e.g. after a reload): the screen before in the queue.
      if (from === this.back && this.offset > 0) await this.load(Math.max(0, this.offset - (this.fitSize || this.screenSize)));
      return;
    }
    if (this.grid.set) to.push({ offset: this.offset, ids: this.grid.set.ids });
    this.backCount = this.back.length;
    this.seq++;
    this.offset = screen.offset;
    this.revisiting = this.ahead.length > 0;
    this.loading = false;
    this.grid.showSet(runId, { id: Date.now(), title: 'Review queue', ids: screen.ids, ordered: true });
  }

  setHideReviewed(hide: boolean): Promise<void> {
    this.hideReviewed = hide;
    return this.load(0);
  }

  /** Accepts every image of the screen that shows the model's label, then brings the next screen. */
  async acceptScreen(): Promise<void> {
    const total = this.grid.total ?? 0;
    if (total === 0) return this.step(1);
    const rows = await this.grid.rowsBetween(0, total - 1);
    const plan = acceptPlan(rows, this.offset, this.hideReviewed);
    this.advancing = true;
    try {
      if (plan.accept.length > 0) {
        const n = plan.accept.length;
        const ok = await this.app.acceptImages(plan.accept, `${n} image${n === 1 ? '' : 's'} of the review queue`);
        if (!ok) return;
      }
      if (plan.unlabelled > 0) {
        this.app.toasts.push(`${plan.unlabelled} image${plan.unlabelled === 1 ? '' : 's'} of unnamed clusters had no label to accept: they stay in the queue`);
      }
      await this.load(plan.nextOffset, undefined, true);
    } finally {
      this.advancing = false;
    }
  }
}
