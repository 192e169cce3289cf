// Which rows of a fixed-cell grid are visible: the arithmetic behind VirtualGrid, kept pure for tests.

export interface GridGeometry {
  /** Inner width and height of the scrolling viewport in CSS pixels. */
  width: number;
  height: number;
  scrollTop: number;
  /** Cell edge (square cells) and gap between cells. */
  cell: number;
  gap: number;
  total: number;
  /** Extra rows rendered above and below the viewport so fast scrolling shows no blanks. */
  overscanRows: number;
}

export interface GridWindow {
  columns: number;
  rows: number;
  rowHeight: number;
  totalHeight: number;
  firstRow: number;
  lastRow: number;
  /** Items [startIndex, endIndex) are in the DOM. */
  startIndex: number;
  endIndex: number;
  /** Whole rows that fit in the viewport (PageUp/PageDown step). */
  visibleRows: number;
}

export function gridWindow(g: GridGeometry): GridWindow {
  const columns = Math.max(1, Math.floor((g.width + g.gap) / (g.cell + g.gap)));
  const rowHeight = g.cell + g.gap;
  const rows = Math.ceil(g.total / columns);
  const totalHeight = Math.max(0, rows * rowHeight - g.gap);
  const visibleRows = Math.max(1, Math.floor(g.height / rowHeight));
  const firstVisible = Math.floor(Math.max(0, g.scrollTop) / rowHeight);
  const lastVisible = Math.ceil((Math.max(0, g.scrollTop) + g.height) / rowHeight);
  const firstRow = Math.max(0, firstVisible - g.overscanRows);
  const lastRow = Math.min(rows, lastVisible + g.overscanRows);
  return {
    columns,
    rows,
    rowHeight,
    totalHeight,
    firstRow,
    lastRow,
    startIndex: Math.min(g.total, firstRow * columns),
    endIndex: Math.min(g.total, lastRow * columns),
    visibleRows,
  };
}

/** scrollTop that brings item `index` fully into view, or null when it already is. */
export function scrollToReveal(index: number, columns: number, rowHeight: number, gap: number, scrollTop: number, height: number): number | null {
  const row = Math.floor(index / Math.max(1, columns));
  const top = row * rowHeight;
  const bottom = top + rowHeight - gap;
  if (top < scrollTop) return top;
  if (bottom > scrollTop + height) return bottom - height;
  return null;
}

/** Pages (of `pageSize` items) that cover items [start, end). */
export function pagesCovering(start: number, end: number, pageSize: number): number[] {
  if (end <= start) return [];
  const first = Math.floor(start / pageSize);
  const last = Math.floor((end - 1) / pageSize);
  const out: number[] = [];
  for (let p = first; p <= last; p++) out.push(p);
  return out;
}
