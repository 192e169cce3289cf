// Every keyboard shortcut in one table: the help overlay lists it, handlers match against it.
// "Mod" is Ctrl on Linux/Windows and Cmd on macOS.

export type ShortcutId =
  | 'help' | 'undo' | 'redo' | 'goto-projects' | 'goto-pipeline' | 'goto-clusters' | 'goto-grid' | 'goto-mapping'
  | 'goto-map' | 'goto-export' | 'theme'
  | 'grid-move' | 'grid-range' | 'grid-toggle' | 'grid-all' | 'grid-clear' | 'grid-move-to' | 'grid-outlier'
  | 'grid-open' | 'grid-sort' | 'grid-prev-cluster' | 'grid-next-cluster' | 'grid-zoom-in' | 'grid-zoom-out'
  | 'grid-quick-class'
  | 'image-back' | 'image-prev' | 'image-next'
  | 'map-lasso' | 'map-add' | 'map-zoom' | 'map-reset';

export interface Shortcut {
  id: ShortcutId;
  /** Display form, one entry per alternative, keys joined by '+'. */
  keys: string[];
  action: string;
}

export interface ShortcutGroup {
  title: string;
  items: Shortcut[];
}

export const SHORTCUT_GROUPS: ShortcutGroup[] = [
  {
    title: 'Everywhere',
    items: [
      { id: 'help', keys: ['?'], action: 'Show or hide this help' },
      { id: 'undo', keys: ['Mod+Z'], action: 'Undo the last correction' },
      { id: 'redo', keys: ['Mod+Shift+Z', 'Mod+Y'], action: 'Redo' },
      { id: 'goto-projects', keys: ['Alt+1'], action: 'Projects' },
      { id: 'goto-pipeline', keys: ['Alt+2'], action: 'Pipeline' },
      { id: 'goto-clusters', keys: ['Alt+3'], action: 'Clusters overview' },
      { id: 'goto-grid', keys: ['Alt+4'], action: 'Cluster grid' },
      { id: 'goto-mapping', keys: ['Alt+5'], action: 'Mapping' },
      { id: 'goto-map', keys: ['Alt+6'], action: '2-D map' },
      { id: 'goto-export', keys: ['Alt+7'], action: 'Export' },
      { id: 'theme', keys: ['Alt+T'], action: 'Switch dark / light' },
    ],
  },
  {
    title: 'Cluster grid',
    items: [
      { id: 'grid-move', keys: ['←↑→↓'], action: 'Move the cursor' },
      { id: 'grid-range', keys: ['Shift+←↑→↓', 'Shift+Click'], action: 'Extend the selection' },
      { id: 'grid-toggle', keys: ['Space', 'Mod+Click'], action: 'Add or remove one image' },
      { id: 'grid-all', keys: ['Mod+A'], action: 'Select every image of the cluster' },
      { id: 'grid-clear', keys: ['Esc'], action: 'Clear the selection' },
      { id: 'grid-move-to', keys: ['M'], action: 'Move the selection to a class…' },
      { id: 'grid-quick-class', keys: ['1…9'], action: 'Move the selection to the n-th class' },
      { id: 'grid-outlier', keys: ['O', 'Delete'], action: 'Mark the selection as outliers' },
      { id: 'grid-open', keys: ['Enter'], action: 'Open the image under the cursor' },
      { id: 'grid-sort', keys: ['S'], action: 'Sort by confidence / doubt' },
      { id: 'grid-prev-cluster', keys: ['['], action: 'Previous cluster' },
      { id: 'grid-next-cluster', keys: [']'], action: 'Next cluster' },
      { id: 'grid-zoom-in', keys: ['+'], action: 'Larger thumbnails' },
      { id: 'grid-zoom-out', keys: ['-'], action: 'Smaller thumbnails' },
    ],
  },
  {
    title: 'Image',
    items: [
      { id: 'image-back', keys: ['Esc', 'Backspace'], action: 'Back to the grid' },
      { id: 'image-prev', keys: ['←'], action: 'Previous image of the cluster' },
      { id: 'image-next', keys: ['→'], action: 'Next image of the cluster' },
    ],
  },
  {
    title: '2-D map',
    items: [
      { id: 'map-lasso', keys: ['Drag'], action: 'Lasso-select points' },
      { id: 'map-add', keys: ['Shift+Drag'], action: 'Add to the selection' },
      { id: 'map-zoom', keys: ['Wheel', 'Alt+Drag'], action: 'Zoom, pan' },
      { id: 'map-reset', keys: ['Double-click'], action: 'Reset the view' },
    ],
  },
];

export function isMac(): boolean {
  return typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.platform);
}

/** Ctrl, or Cmd on macOS. */
export function hasMod(e: KeyboardEvent | MouseEvent): boolean {
  return isMac() ? e.metaKey : e.ctrlKey;
}

/** True when the event comes from a text field, where letters must type, not act. */
export function isTyping(e: KeyboardEvent): boolean {
  const t = e.target as HTMLElement | null;
  if (!t) return false;
  const tag = t.tagName;
  if (tag === 'TEXTAREA' || tag === 'SELECT') return true;
  if (tag === 'INPUT') {
    const type = (t as HTMLInputElement).type;
    return type !== 'checkbox' && type !== 'radio' && type !== 'button' && type !== 'range';
  }
  return t.isContentEditable;
}
