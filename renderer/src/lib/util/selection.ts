// Pure selection arithmetic shared by the cluster grid and the map lasso. No DOM, no runes, so it is unit-tested.

export interface ClickModifiers {
  /** Shift: extend from the anchor. */
  range: boolean;
  /** Ctrl on Linux/Windows, Cmd on macOS: toggle one item or add a range. */
  toggle: boolean;
}

export interface SelectionSnapshot {
  selected: ReadonlySet<number>;
  /** Index (in the current order) the next shift-click extends from. */
  anchor: number | null;
}

/**
 * The selection after a click on item `index` (whose id is `id`).
 * `idsBetween(a, b)` returns the ids at indices a..b inclusive (a <= b) in the current order.
 */
export function clickSelection(
  current: SelectionSnapshot,
  index: number,
  id: number,
  mods: ClickModifiers,
  idsBetween: (from: number, to: number) => number[],
): SelectionSnapshot {
  if (mods.range && current.anchor !== null) {
    const from = Math.min(current.anchor, index);
    const to = Math.max(current.anchor, index);
    const range = idsBetween(from, to);
    const selected = mods.toggle ? new Set(current.selected) : new Set<number>();
    for (const x of range) selected.add(x);
    return { selected, anchor: current.anchor };
  }
  if (mods.toggle) {
    const selected = new Set(current.selected);
    if (selected.has(id)) selected.delete(id);
    else selected.add(id);
    return { selected, anchor: index };
  }
  return { selected: new Set([id]), anchor: index };
}

/** Moves a cursor in a grid of `columns` columns over `total` items; clamps at the edges. */
export function moveCursor(
  cursor: number,
  key: 'left' | 'right' | 'up' | 'down' | 'home' | 'end' | 'pageup' | 'pagedown',
  columns: number,
  total: number,
  pageRows = 1,
): number {
  if (total <= 0) return -1;
  const c = Math.max(1, columns);
  // Without a cursor, arrows start at the first item; Home and End still jump.
  if (cursor < 0 && key !== 'end' && key !== 'home') return 0;
  let next = cursor;
  switch (key) {
    case 'left':
      next -= 1;
      break;
    case 'right':
      next += 1;
      break;
    case 'up':
      next -= c;
      break;
    case 'down':
      next += c;
      break;
    case 'pageup':
      next -= c * Math.max(1, pageRows);
      break;
    case 'pagedown':
      next += c * Math.max(1, pageRows);
      break;
    case 'home':
      next = 0;
      break;
    case 'end':
      next = total - 1;
      break;
  }
  return Math.min(total - 1, Math.max(0, next));
}

/** Even-odd test of a point against a closed polygon (lasso). */
export function pointInPolygon(x: number, y: number, polygon: ReadonlyArray<readonly [number, number]>): boolean {
  let inside = false;
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    const [xi, yi] = polygon[i];
    const [xj, yj] = polygon[j];
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}
