// What the cluster grid remembers per project (in localStorage): the source it showed, the sort order,
// whether reviewed images are hidden, the image set it showed last (a lasso, "more like these"), and
// the cursor and scroll position per source. So the grid opens where the person left it, across
// screen changes and a reload. Pure functions over a Storage, so they are unit-tested.
import type { ImageSort } from '$contract/api.ts';

export type GridSource =
  | { kind: 'cluster'; cluster: number }
  | { kind: 'class'; className: string }
  | { kind: 'outliers' }
  /** A chosen set of images: a lasso on the map, or "more like these". */
  | { kind: 'set' };

export interface ImageSet {
  /** Tells two sets apart (their remembered places); the time it was made. */
  id: number;
  title: string;
  ids: number[];
  /** Shown in the order of `ids` (nearest first, grouped by label), not sorted by doubt or confidence. */
  ordered?: boolean;
}

export interface GridPlace {
  cursor: number;
  scrollTop: number;
}

export interface GridMemory {
  source: GridSource | null;
  sort: ImageSort;
  hideReviewed: boolean;
  set: ImageSet | null;
  /** Cursor and scroll per source key (runId|source|sort|hidden). */
  places: Record<string, GridPlace>;
}

/** The grid opens doubt-first: the likeliest mistakes on top. */
export const DEFAULT_MEMORY: GridMemory = { source: null, sort: 'doubt', hideReviewed: false, set: null, places: {} };
const MAX_PLACES = 60;

export function memoryKey(projectDir: string): string {
  return `spice.grid.${projectDir}`;
}

export function loadMemory(storage: Pick<Storage, 'getItem'>, projectDir: string): GridMemory {
  try {
    const raw = storage.getItem(memoryKey(projectDir));
    if (!raw) return structuredClone(DEFAULT_MEMORY);
    const m = JSON.parse(raw) as Partial<GridMemory>;
    return {
      source: validSource(m.source) ? m.source : null,
      sort: m.sort === 'confidence' ? 'confidence' : 'doubt',
      hideReviewed: m.hideReviewed === true,
      set:
        m.set && Array.isArray(m.set.ids) && typeof m.set.title === 'string'
          ? { id: Number(m.set.id) || 0, title: m.set.title, ids: m.set.ids.filter(Number.isInteger), ordered: m.set.ordered === true }
          : null,
      places: m.places && typeof m.places === 'object' ? m.places : {},
    };
  } catch {
    return structuredClone(DEFAULT_MEMORY);
  }
}

export function saveMemory(storage: Pick<Storage, 'setItem'>, projectDir: string, memory: GridMemory): void {
  const keys = Object.keys(memory.places);
  const places = keys.length > MAX_PLACES ? Object.fromEntries(keys.slice(-MAX_PLACES).map((k) => [k, memory.places[k]])) : memory.places;
  try {
    storage.setItem(memoryKey(projectDir), JSON.stringify({ ...memory, places }));
  } catch {
    // Storage full or unavailable: the grid still works, it just forgets.
  }
}

/** Records where the cursor and scroll are for one source (the newest last, so old ones are dropped first). */
export function withPlace(memory: GridMemory, key: string, place: GridPlace): GridMemory {
  const places = { ...memory.places };
  delete places[key];
  places[key] = place;
  return { ...memory, places };
}

/** The grid's route parameters for a source (the set's ids stay in memory, not in the address). */
export function sourceParams(source: GridSource): Record<string, string | number> {
  switch (source.kind) {
    case 'cluster':
      return { cluster: source.cluster };
    case 'class':
      return { class: source.className };
    case 'outliers':
      return { outliers: 1 };
    case 'set':
      return { set: 1 };
  }
}

function validSource(s: unknown): s is GridSource {
  if (!s || typeof s !== 'object') return false;
  const o = s as Record<string, unknown>;
  return (o.kind === 'cluster' && Number.isInteger(o.cluster)) || (o.kind === 'class' && typeof o.className === 'string') || o.kind === 'outliers' || o.kind === 'set';
}
