// The renderer's pure grid arithmetic: which rows are in the DOM, cursor moves, click selection, lasso.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { gridWindow, pagesCovering, scrollToReveal } from '../../renderer/src/lib/util/virtual.ts';
import { clickSelection, moveCursor, pointInPolygon } from '../../renderer/src/lib/util/selection.ts';

describe('gridWindow', () => {
  const base = { width: 1000, height: 600, cell: 96, gap: 4, overscanRows: 3 };

  it('puts only the visible rows and the overscan of 10,000 items in the DOM', () => {
    const w = gridWindow({ ...base, scrollTop: 0, total: 10_000 });
    assert.equal(w.columns, 10); // (1000 + 4) / 100
    assert.equal(w.rows, 1000);
    assert.equal(w.firstRow, 0);
    assert.equal(w.lastRow, 6 + 3);
    assert.equal(w.endIndex - w.startIndex, 90);
    assert.equal(w.totalHeight, 1000 * 100 - 4);
  });

  it('follows the scroll position and clamps at the end', () => {
    const mid = gridWindow({ ...base, scrollTop: 50_000, total: 10_000 });
    assert.equal(mid.firstRow, 500 - 3);
    assert.equal(mid.startIndex, 4970);
    assert.ok(mid.endIndex - mid.startIndex <= 130);
    const end = gridWindow({ ...base, scrollTop: 99_400, total: 10_000 });
    assert.equal(end.endIndex, 10_000);
    assert.equal(end.lastRow, 1000);
  });

  it('copes with an empty grid and a viewport narrower than a cell', () => {
    const empty = gridWindow({ ...base, scrollTop: 0, total: 0 });
    assert.equal(empty.startIndex, 0);
    assert.equal(empty.endIndex, 0);
    const narrow = gridWindow({ ...base, width: 50, scrollTop: 0, total: 5 });
    assert.equal(narrow.columns, 1);
    assert.equal(narrow.endIndex, 5);
  });

  it('scrolls just enough to reveal a cursor above or below the viewport', () => {
    assert.equal(scrollToReveal(0, 10, 100, 4, 0, 600), null);
    assert.equal(scrollToReveal(95, 10, 100, 4, 0, 600), 900 + 96 - 600); // row 9
    assert.equal(scrollToReveal(5, 10, 100, 4, 500, 600), 0);
  });

  it('lists the pages covering a range', () => {
    assert.deepEqual(pagesCovering(0, 1, 200), [0]);
    assert.deepEqual(pagesCovering(150, 450, 200), [0, 1, 2]);
    assert.deepEqual(pagesCovering(400, 400, 200), []);
  });
});

describe('moveCursor', () => {
  it('moves by cells, rows and pages, clamped to the items', () => {
    assert.equal(moveCursor(5, 'right', 4, 10), 6);
    assert.equal(moveCursor(5, 'down', 4, 10), 9);
    assert.equal(moveCursor(9, 'down', 4, 10), 9);
    assert.equal(moveCursor(1, 'up', 4, 10), 0);
    assert.equal(moveCursor(0, 'pagedown', 4, 100, 3), 12);
    assert.equal(moveCursor(3, 'end', 4, 10), 9);
  });

  it('starts at the first item without a cursor, but Home/End still jump', () => {
    assert.equal(moveCursor(-1, 'down', 4, 10), 0);
    assert.equal(moveCursor(-1, 'end', 4, 10), 9);
    assert.equal(moveCursor(-1, 'home', 4, 10), 0);
    assert.equal(moveCursor(-1, 'end', 4, 0), -1);
  });
});

describe('clickSelection', () => {
  const ids = [10, 11, 12, 13, 14, 15];
  const between = (a: number, b: number) => ids.slice(a, b + 1);
  const none = { selected: new Set<number>(), anchor: null };

  it('a plain click selects one and sets the anchor', () => {
    const s = clickSelection({ selected: new Set([10, 11]), anchor: 0 }, 3, 13, { range: false, toggle: false }, between);
    assert.deepEqual([...s.selected], [13]);
    assert.equal(s.anchor, 3);
  });

  it('ctrl-click toggles one item', () => {
    const a = clickSelection(none, 1, 11, { range: false, toggle: true }, between);
    const b = clickSelection(a, 4, 14, { range: false, toggle: true }, between);
    assert.deepEqual([...b.selected].sort(), [11, 14]);
    const c = clickSelection(b, 1, 11, { range: false, toggle: true }, between);
    assert.deepEqual([...c.selected], [14]);
  });

  it('shift-click selects the range from the anchor in either direction, keeping the anchor', () => {
    const a = clickSelection(none, 4, 14, { range: false, toggle: false }, between);
    const b = clickSelection(a, 1, 11, { range: true, toggle: false }, between);
    assert.deepEqual([...b.selected].sort(), [11, 12, 13, 14]);
    assert.equal(b.anchor, 4);
    const c = clickSelection(b, 5, 15, { range: true, toggle: false }, between);
    assert.deepEqual([...c.selected].sort(), [14, 15]);
  });

  it('ctrl-shift-click adds a range to the selection', () => {
    const a = { selected: new Set([10]), anchor: 3 };
    const b = clickSelection(a, 5, 15, { range: true, toggle: true }, between);
    assert.deepEqual([...b.selected].sort(), [10, 13, 14, 15]);
  });
});

describe('pointInPolygon', () => {
  const square: Array<[number, number]> = [
    [0, 0],
    [10, 0],
    [10, 10],
    [0, 10],
  ];
  it('tells inside from outside, also for a concave lasso', () => {
    assert.ok(pointInPolygon(5, 5, square));
    assert.ok(!pointInPolygon(15, 5, square));
    const u: Array<[number, number]> = [
      [0, 0],
      [3, 0],
      [3, 8],
      [7, 8],
      [7, 0],
      [10, 0],
      [10, 10],
      [0, 10],
    ];
    assert.ok(!pointInPolygon(5, 4, u));
    assert.ok(pointInPolygon(5, 9, u));
    assert.ok(pointInPolygon(1, 1, u));
  });
});
