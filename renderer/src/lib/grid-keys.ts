// The keys of an image grid (the cluster grid and the review queue share them). The screen installs
// this on the window, so the keys work wherever focus is (after Alt+4, a click in the side bar...),
// except in a text field or while a dialog is open.
import type { GridState } from './state/grid.svelte.ts';
import { classKeyOf, hasMod, isTyping, modalOpen } from './shortcuts.ts';

export interface GridKeyActions {
  /** Columns and whole visible rows of the grid on screen (cursor moves, PageUp/PageDown). */
  geometry(): { columns: number; rows: number };
  /** M: the class picker for the selection. */
  pick(): void;
  /** A class key: move the selection to this class. */
  moveTo(className: string): void;
  outlier(): void;
  /** A: accept the selection as labelled. */
  accept(): void;
  /** Shift+A: accept the rest (of the cluster, of the screen). */
  acceptRest(): void;
  /** H: hide / show images a person labelled. */
  toggleHidden(): void;
  /** L: more like these. */
  similar(): void;
  open(index: number): void;
  /** S: switch the sort order (absent where the order is fixed). */
  sort?: () => void;
  /** [ and ]: the previous / next cluster or screen. */
  step(delta: number): void;
}

const ARROWS: Record<string, 'left' | 'right' | 'up' | 'down' | 'home' | 'end' | 'pageup' | 'pagedown'> = {
  ArrowLeft: 'left',
  ArrowRight: 'right',
  ArrowUp: 'up',
  ArrowDown: 'down',
  Home: 'home',
  End: 'end',
  PageUp: 'pageup',
  PageDown: 'pagedown',
};

/** Elements whose own Space / Enter must keep working (a focused button, a checkbox). */
function ownsActivation(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el || el === document.body || el.closest?.('[data-grid-keys]')) return false;
  return ['BUTTON', 'A', 'SELECT', 'INPUT', 'SUMMARY'].includes(el.tagName);
}

/** Handles one key press for `grid`; returns true when it acted (the event is then prevented). */
export function handleGridKey(e: KeyboardEvent, grid: GridState, hotkeys: ReadonlyMap<string, string>, a: GridKeyActions): boolean {
  if (e.defaultPrevented || e.altKey || isTyping(e) || modalOpen()) return false;
  const act = (f: () => void): boolean => {
    e.preventDefault();
    f();
    return true;
  };
  const arrow = ARROWS[e.key];
  if (arrow && !hasMod(e)) {
    const { columns, rows } = a.geometry();
    return act(() => void grid.moveCursor(arrow, columns, rows, e.shiftKey));
  }
  if (hasMod(e)) return e.key.toLowerCase() === 'a' ? act(() => void grid.selectAll()) : false;
  if ((e.key === ' ' || e.key === 'Enter') && ownsActivation(e.target)) return false;
  switch (e.key) {
    case ' ':
      return act(() => grid.toggleCursor());
    case 'Escape':
      return grid.selectionCount > 0 ? act(() => grid.clearSelection()) : false;
    case 'Enter':
      return act(() => a.open(grid.cursor));
    case 'm':
    case 'M':
      return act(() => a.pick());
    case 'o':
    case 'O':
    case 'Delete':
      return act(() => a.outlier());
    case 'a':
      return act(() => a.accept());
    case 'A':
      return act(() => a.acceptRest());
    case 'h':
    case 'H':
      return act(() => a.toggleHidden());
    case 'l':
    case 'L':
      return act(() => a.similar());
    case 's':
    case 'S':
      return a.sort ? act(a.sort) : false;
    case '[':
      return act(() => a.step(-1));
    case ']':
      return act(() => a.step(1));
    case '+':
    case '=':
      return act(() => grid.setCellSize(grid.cellSize + 16));
    case '-':
      return act(() => grid.setCellSize(grid.cellSize - 16));
  }
  const key = classKeyOf(e);
  const className = key === null ? undefined : hotkeys.get(key);
  return className === undefined ? false : act(() => a.moveTo(className));
}
