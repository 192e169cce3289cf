// One cluster's (or class's, the outliers', a chosen set's) images for the virtual grid: a sparse page
// cache filled on demand, the sort order, whether reviewed images are hidden, the keyboard cursor and
// the selection.
import { SvelteMap } from 'svelte/reactivity';
import type { ApiBridge, ClusterImagesParams, ImageRow, ImageSort } from '$contract/api.ts';
import { clickSelection, moveCursor, type ClickModifiers } from '../util/selection.ts';
import { pagesCovering } from '../util/virtual.ts';
import { DEFAULT_MEMORY, loadMemory, saveMemory, withPlace, type GridMemory, type GridPlace, type GridSource, type ImageSet } from './grid-memory.ts';

export type { GridSource, ImageSet } from './grid-memory.ts';

export const PAGE_SIZE = 200;
/** Most images a set (lasso, "more like these") shows: what clusters.images takes in one call. */
export const MAX_SET = 10_000;
/** Most rows clusters.images returns per call. */
const MAX_PER_CALL = 2000;

export function sourceKey(runId: number | null, source: GridSource | null, sort: ImageSort, hideReviewed = false, set: ImageSet | null = null): string {
  if (runId === null || source === null) return '';
  const s =
    source.kind === 'cluster' ? `c${source.cluster}` : source.kind === 'class' ? `n:${source.className}` : source.kind === 'set' ? `set:${set?.id ?? 0}` : 'outliers';
  return `${runId}|${s}|${sort}${hideReviewed ? '|hidden' : ''}`;
}

export class GridState {
  runId: number | null = $state(null);
  source: GridSource | null = $state(null);
  sort: ImageSort = $state('doubt');
  /** Leave out images a person has labelled. */
  hideReviewed = $state(false);
  /** The images a 'set' source shows (a lasso on the map, "more like these"). */
  set: ImageSet | null = $state.raw(null);
  /** Total images of the source; null until the first page arrives. */
  total: number | null = $state(null);
  readonly pages = new SvelteMap<number, ImageRow[]>();
  selected: ReadonlySet<number> = $state.raw(new Set());
  anchor: number | null = $state(null);
  cursor = $state(-1);
  loading = $state(false);
  error: string | null = $state(null);
  cellSize = $state(Number(localStorage.getItem('spice.grid.cell')) || 96);

  private generation = 0;
  /** Data version the cached pages were fetched at (corrections and names change the rows). */
  private dataVersion = '';
  private readonly inflight = new Map<number, Promise<void>>();
  private lastRange: [number, number] = [0, 0];

  readonly selectionCount = $derived(this.selected.size);

  /** What the grid remembers for the open project (source, sort, filter, places); see grid-memory.ts. */
  private memory: GridMemory = structuredClone(DEFAULT_MEMORY);
  private memoryDir: string | null = null;
  private saveTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly bridge: () => ApiBridge) {}

  /** Loads what the grid remembers for this project (once per project). */
  useProject(dir: string): void {
    if (dir === this.memoryDir) return;
    this.flushMemory();
    this.memoryDir = dir;
    this.memory = loadMemory(localStorage, dir);
    this.set = this.memory.set;
  }

  get remembered(): Readonly<Pick<GridMemory, 'source' | 'sort' | 'hideReviewed' | 'set'>> {
    return this.memory;
  }

  place(key: string): GridPlace | undefined {
    return this.memory.places[key];
  }

  /** Remembers what is shown now: source, sort, filter, and where the cursor and the scroll are. */
  remember(scrollTop?: number): void {
    if (this.memoryDir === null || this.source === null) return;
    const previous = this.memory.places[this.key];
    this.memory = withPlace({ ...this.memory, source: this.source, sort: this.sort, hideReviewed: this.hideReviewed, set: this.set }, this.key, {
      cursor: this.cursor,
      scrollTop: scrollTop ?? previous?.scrollTop ?? 0,
    });
    if (this.saveTimer === null) this.saveTimer = setTimeout(() => this.flushMemory(), 300);
  }

  private flushMemory(): void {
    if (this.saveTimer !== null) clearTimeout(this.saveTimer);
    this.saveTimer = null;
    if (this.memoryDir !== null) saveMemory(localStorage, this.memoryDir, this.memory);
  }

  /** Shows exactly these images (the review queue's screen), without touching the remembered grid. */
  showSet(runId: number, set: ImageSet, rows?: readonly ImageRow[]): void {
    if (rows) return this.showRows(runId, set, rows);
    this.set = set;
    if (!this.show(runId, { kind: 'set' }, 'doubt', false, 0)) {
      this.selected = new Set();
      this.cursor = 0;
      this.reset();
    }
  }

  /** Shows an ordered set whose rows the caller already has (no second round trip). */
  private showRows(runId: number, set: ImageSet, rows: readonly ImageRow[]): void {
    const byId = new Map(rows.map((r) => [r.imageId, r]));
    const ordered = set.ids.flatMap((id) => byId.get(id) ?? []);
    this.runId = runId;
    this.source = { kind: 'set' };
    this.sort = 'doubt';
    this.hideReviewed = false;
    this.set = { ...set, ordered: true };
    this.selected = new Set();
    this.anchor = null;
    this.cursor = ordered.length > 0 ? 0 : -1;
    this.generation++;
    this.pages.clear();
    this.inflight.clear();
    this.error = null;
    for (let p = 0; p * PAGE_SIZE < ordered.length; p++) this.pages.set(p, ordered.slice(p * PAGE_SIZE, (p + 1) * PAGE_SIZE));
    this.total = ordered.length;
    this.loading = false;
  }

  /** Rows at indices from..to inclusive, fetching missing pages first. */
  async rowsBetween(from: number, to: number): Promise<ImageRow[]> {
    await this.ensureRangeQuiet(from, to + 1);
    const out: ImageRow[] = [];
    for (let i = from; i <= to; i++) {
      const row = this.item(i);
      if (row) out.push(row);
    }
    return out;
  }

  /** Makes `set` the images a 'set' source shows, and remembers it (a lasso, "more like these"). */
  openSet(set: ImageSet): void {
    this.set = set;
    this.memory = { ...this.memory, set, source: { kind: 'set' } };
    this.flushMemory();
    if (this.source?.kind === 'set') {
      this.selected = new Set();
      this.anchor = null;
      this.cursor = 0;
      this.reset();
    }
  }

  /** The key of what is shown now (cursor and scroll are remembered under it). */
  get key(): string {
    return sourceKey(this.runId, this.source, this.sort, this.hideReviewed, this.set);
  }

  /**
   * Switches to another source, sort order or filter; keeps the cache when nothing changed. The cursor
   * starts on the first image (or `cursor`), so Space and the class keys act at once.
   */
  show(runId: number, source: GridSource, sort: ImageSort = this.sort, hideReviewed = this.hideReviewed, cursor = 0): boolean {
    if (sourceKey(runId, source, sort, hideReviewed, this.set) === this.key) return false;
    const sameImages = sourceKey(runId, source, 'doubt', false, this.set) === sourceKey(this.runId, this.source, 'doubt', false, this.set);
    this.runId = runId;
    this.source = source;
    this.sort = sort;
    this.hideReviewed = hideReviewed;
    if (!sameImages) {
      this.selected = new Set();
    }
    this.anchor = null;
    this.cursor = cursor;
    this.reset();
    return true;
  }

  /** Tells the grid the current data version; cached pages of an older one are refetched. */
  sync(version: string): void {
    if (version === this.dataVersion) return;
    const hadData = this.dataVersion !== '' && this.source !== null;
    this.dataVersion = version;
    if (hadData) this.reload();
  }

  /** Drops cached pages (data changed) and refetches what is on screen; keeps selection and cursor. */
  reload(): void {
    this.reset(false);
    void this.ensureRange(this.lastRange[0], this.lastRange[1]);
  }

  private reset(clearTotal = true): void {
    this.generation++;
    this.pages.clear();
    this.inflight.clear();
    if (clearTotal) this.total = null;
    this.error = null;
    void this.fetchPage(0);
  }

  item(index: number): ImageRow | undefined {
    return this.pages.get(Math.floor(index / PAGE_SIZE))?.[index % PAGE_SIZE];
  }

  /** Called by the grid with the indices in the DOM; fetches the pages that cover them. */
  ensureRange(start: number, end: number): Promise<void> {
    this.lastRange = [start, end];
    // Half a page of margin either way, so a page is usually in before its rows scroll into view.
    const margin = PAGE_SIZE / 2;
    const pages = pagesCovering(Math.max(0, start - margin), Math.max(end, start + 1) + margin, PAGE_SIZE);
    return Promise.all(pages.map((p) => this.fetchPage(p))).then(() => undefined);
  }

  private fetchPage(page: number): Promise<void> {
    if (this.pages.has(page)) return Promise.resolve();
    const existing = this.inflight.get(page);
    if (existing) return existing;
    const runId = this.runId;
    const source = this.source;
    if (runId === null || source === null) return Promise.resolve();
    if (this.total !== null && page * PAGE_SIZE >= this.total && page > 0) return Promise.resolve();
    const selector = this.selector(source);
    if (selector === null) {
      this.total = 0;
      return Promise.resolve();
    }
    const gen = this.generation;
    this.loading = true;
    const ordered = source.kind === 'set' && this.set?.ordered === true;
    const request = ordered ? this.requestOrdered(runId, selector.imageIds!) : this.requestPage(runId, selector, page);
    const p = request
      .then((res) => {
        if (gen !== this.generation) return;
        this.total = res.total;
        for (const [n, rows] of res.pages) this.pages.set(n, rows);
        if (this.cursor >= res.total) this.cursor = res.total - 1;
        else if (this.cursor < 0 && res.total > 0) this.cursor = 0;
      })
      .catch((err: unknown) => {
        if (gen !== this.generation) return;
        this.error = err instanceof Error ? err.message : String(err);
      })
      .finally(() => {
        if (gen === this.generation) {
          this.inflight.delete(page);
          this.loading = this.inflight.size > 0;
        }
      });
    this.inflight.set(page, p);
    return p;
  }

  /** One page in the grid's sort order, from the service. */
  private async requestPage(
    runId: number,
    selector: NonNullable<ReturnType<GridState['selector']>>,
    page: number,
  ): Promise<{ total: number; pages: Map<number, ImageRow[]> }> {
    const res = await this.bridge().call('clusters.images', {
      runId,
      ...selector,
      ...(this.hideReviewed ? { hideReviewed: true } : {}),
      sort: this.sort,
      offset: page * PAGE_SIZE,
      limit: PAGE_SIZE,
    });
    return { total: res.total, pages: new Map([[page, res.items]]) };
  }

  /**
   * A set shown in its own order (a review screen grouped by label, nearest neighbours first): every
   * row at once (such sets are small), in the order of the ids, the ones the run does not hold left out.
   */
  private async requestOrdered(runId: number, ids: number[]): Promise<{ total: number; pages: Map<number, ImageRow[]> }> {
    const byId = new Map<number, ImageRow>();
    for (let i = 0; i < ids.length; i += MAX_PER_CALL) {
      const chunk = ids.slice(i, i + MAX_PER_CALL);
      const res = await this.bridge().call('clusters.images', { runId, imageIds: chunk, sort: 'doubt', offset: 0, limit: chunk.length });
      for (const row of res.items) byId.set(row.imageId, row);
    }
    const rows = ids.flatMap((id) => {
      const row = byId.get(id);
      return row && !(this.hideReviewed && row.source === 'person') ? [row] : [];
    });
    const pages = new Map<number, ImageRow[]>();
    for (let p = 0; p * PAGE_SIZE < rows.length; p++) pages.set(p, rows.slice(p * PAGE_SIZE, (p + 1) * PAGE_SIZE));
    return { total: rows.length, pages };
  }

  private selector(source: GridSource): Pick<ClusterImagesParams, 'cluster' | 'className' | 'outliers' | 'imageIds'> | null {
    switch (source.kind) {
      case 'cluster':
        return { cluster: source.cluster };
      case 'class':
        return { className: source.className };
      case 'outliers':
        return { outliers: true };
      case 'set':
        // clusters.images takes up to 10,000 ids; a larger lasso shows its first 10,000.
        return this.set && this.set.ids.length > 0 ? { imageIds: this.set.ids.slice(0, MAX_SET) } : null;
    }
  }

  /** Ids at indices from..to inclusive, fetching missing pages first. */
  async idsBetween(from: number, to: number): Promise<number[]> {
    return (await this.rowsBetween(from, to)).map((r) => r.imageId);
  }

  private async ensureRangeQuiet(start: number, end: number): Promise<void> {
    const pages = pagesCovering(start, end, PAGE_SIZE);
    // A few pages at a time so a select-all of 10,000 images does not flood the bridge.
    for (let i = 0; i < pages.length; i += 4) await Promise.all(pages.slice(i, i + 4).map((p) => this.fetchPage(p)));
  }

  async click(index: number, mods: ClickModifiers): Promise<void> {
    const row = this.item(index);
    if (!row) return;
    this.cursor = index;
    let range: number[] = [];
    if (mods.range && this.anchor !== null) range = await this.idsBetween(Math.min(this.anchor, index), Math.max(this.anchor, index));
    const next = clickSelection({ selected: this.selected, anchor: this.anchor }, index, row.imageId, mods, () => range);
    this.selected = next.selected;
    this.anchor = next.anchor;
  }

  /** Arrow keys etc.; with `extend`, the selection becomes anchor..cursor. */
  async moveCursor(key: Parameters<typeof moveCursor>[1], columns: number, pageRows: number, extend: boolean): Promise<void> {
    const total = this.total ?? 0;
    const from = this.cursor;
    const next = moveCursor(from, key, columns, total, pageRows);
    if (next < 0) return;
    this.cursor = next;
    await this.ensureRange(next, next + 1);
    if (extend) {
      // The range starts where the cursor was before the first shift-move.
      if (this.anchor === null) this.anchor = Math.max(0, from);
      const ids = await this.idsBetween(Math.min(this.anchor, next), Math.max(this.anchor, next));
      this.selected = new Set(ids);
    }
  }

  /** Space: adds or removes the image under the cursor (the first image when there is no cursor yet). */
  toggleCursor(): void {
    if (this.cursor < 0 && (this.total ?? 0) > 0) this.cursor = 0;
    const row = this.item(this.cursor);
    if (!row) return;
    const next = new Set(this.selected);
    if (next.has(row.imageId)) next.delete(row.imageId);
    else next.add(row.imageId);
    this.selected = next;
    this.anchor = this.cursor;
  }

  async selectAll(): Promise<void> {
    const total = this.total ?? 0;
    if (total === 0) return;
    this.selected = new Set(await this.idsBetween(0, total - 1));
  }

  clearSelection(): void {
    this.selected = new Set();
    this.anchor = null;
  }

  setSelection(ids: Iterable<number>): void {
    this.selected = new Set(ids);
  }

  /** What an action applies to: the selection, else the image under the cursor. */
  targetIds(): number[] {
    if (this.selected.size > 0) return [...this.selected];
    const row = this.item(this.cursor);
    return row ? [row.imageId] : [];
  }

  setCellSize(px: number): void {
    this.cellSize = Math.min(256, Math.max(40, Math.round(px)));
    localStorage.setItem('spice.grid.cell', String(this.cellSize));
  }
}
