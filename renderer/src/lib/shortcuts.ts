// Every keyboard shortcut in one table: the help overlay lists it, handlers match against it.
// "Mod" is Ctrl on Linux/Windows and Cmd on macOS.

export type ShortcutId =
  | 'help'
  | 'undo'
  | 'redo'
  | 'goto-projects'
  | 'goto-pipeline'
  | 'goto-clusters'
  | 'goto-grid'
  | 'goto-review'
  | 'goto-labels'
  | 'goto-mapping'
  | 'goto-map'
  | 'goto-export'
  | 'theme'
  | 'grid-move'
  | 'grid-range'
  | 'grid-toggle'
  | 'grid-all'
  | 'grid-clear'
  | 'grid-move-to'
  | 'grid-outlier'
  | 'grid-open'
  | 'grid-sort'
  | 'grid-prev-cluster'
  | 'grid-next-cluster'
  | 'grid-zoom-in'
  | 'grid-zoom-out'
  | 'grid-class-key'
  | 'grid-accept'
  | 'grid-accept-rest'
  | 'grid-hide-reviewed'
  | 'grid-similar'
  | 'review-accept-screen'
  | 'review-next'
  | 'review-prev'
  | 'review-class-key'
  | 'review-hide-reviewed'
  | 'image-back'
  | 'image-prev'
  | 'image-next'
  | 'map-lasso'
  | 'map-add'
  | 'map-open'
  | 'map-zoom'
  | 'map-reset';

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

/** The screens Alt+1, Alt+2, ... go to, in the order of the side bar. */
export const NAV_SCREENS = ['projects', 'pipeline', 'clusters', 'grid', 'review', 'labels', 'mapping', 'map', 'export'] as const;

export const SHORTCUT_GROUPS: ShortcutGroup[] = [
  {
    title: 'Everywhere',
    items: [
      { id: 'help', keys: ['?'], action: 'Show or hide this help' },
      { id: 'undo', keys: ['Mod+Z'], action: 'Undo the last change (labels, names, classes)' },
      { id: 'redo', keys: ['Mod+Shift+Z', 'Mod+Y'], action: 'Redo' },
      { id: 'goto-projects', keys: ['Alt+1'], action: 'Projects' },
      { id: 'goto-pipeline', keys: ['Alt+2'], action: 'Pipeline' },
      { id: 'goto-clusters', keys: ['Alt+3'], action: 'Clusters overview' },
      { id: 'goto-grid', keys: ['Alt+4'], action: 'Cluster grid (where you left it)' },
      { id: 'goto-review', keys: ['Alt+5'], action: 'Review queue' },
      { id: 'goto-labels', keys: ['Alt+6'], action: 'Classes & labels (hotkeys, import)' },
      { id: 'goto-mapping', keys: ['Alt+7'], action: 'Mapping' },
      { id: 'goto-map', keys: ['Alt+8'], action: '2-D map' },
      { id: 'goto-export', keys: ['Alt+9'], action: 'Export' },
      { id: 'theme', keys: ['Alt+T'], action: 'Switch dark / light' },
    ],
  },
  {
    title: 'Cluster grid',
    items: [
      { id: 'grid-move', keys: ['←↑→↓'], action: 'Move the cursor' },
      { id: 'grid-range', keys: ['Shift+←↑→↓', 'Shift+Click'], action: 'Extend the selection' },
      { id: 'grid-toggle', keys: ['Space', 'Mod+Click'], action: 'Add or remove the image under the cursor' },
      { id: 'grid-all', keys: ['Mod+A'], action: 'Select every image shown' },
      { id: 'grid-clear', keys: ['Esc'], action: 'Clear the selection' },
      { id: 'grid-move-to', keys: ['M'], action: 'Move the selection to a class…' },
      { id: 'grid-class-key', keys: ['class key'], action: 'Move the selection to that class (keys below)' },
      { id: 'grid-accept', keys: ['A'], action: 'Accept the selection as labelled' },
      { id: 'grid-accept-rest', keys: ['Shift+A'], action: 'Accept the rest of this cluster' },
      { id: 'grid-outlier', keys: ['O', 'Delete'], action: 'Mark the selection as outliers' },
      { id: 'grid-hide-reviewed', keys: ['H'], action: 'Hide / show images a person labelled' },
      { id: 'grid-similar', keys: ['L'], action: 'More like these (nearest neighbours)' },
      { id: 'grid-open', keys: ['Enter'], action: 'Open the image under the cursor' },
      { id: 'grid-sort', keys: ['S'], action: 'Sort by doubt / confidence' },
      { id: 'grid-prev-cluster', keys: ['['], action: 'Previous cluster' },
      { id: 'grid-next-cluster', keys: [']'], action: 'Next cluster' },
      { id: 'grid-zoom-in', keys: ['+'], action: 'Larger thumbnails' },
      { id: 'grid-zoom-out', keys: ['-'], action: 'Smaller thumbnails' },
    ],
  },
  {
    title: 'Review queue',
    items: [
      { id: 'review-accept-screen', keys: ['Shift+A'], action: 'Accept the rest of the screen, show the next' },
      { id: 'review-class-key', keys: ['M', 'class key'], action: 'Move the selection (as in the grid)' },
      { id: 'review-next', keys: [']'], action: 'Next screen without accepting' },
      { id: 'review-prev', keys: ['['], action: 'Previous screen' },
      { id: 'review-hide-reviewed', keys: ['H'], action: 'Hide / show images a person labelled' },
    ],
  },
  {
    title: 'Image',
    items: [
      { id: 'image-back', keys: ['Esc', 'Backspace'], action: 'Back to the grid or queue' },
      { id: 'image-prev', keys: ['←'], action: 'Previous image of the grid' },
      { id: 'image-next', keys: ['→'], action: 'Next image of the grid' },
    ],
  },
  {
    title: '2-D map',
    items: [
      { id: 'map-lasso', keys: ['Drag'], action: 'Lasso-select points' },
      { id: 'map-add', keys: ['Shift+Drag'], action: 'Add to the selection' },
      { id: 'map-open', keys: ['Enter'], action: 'Open the selection as a grid' },
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

/** True while a dialog is open: screen shortcuts then stay quiet. */
export function modalOpen(): boolean {
  return typeof document !== 'undefined' && document.querySelector('[aria-modal=true]') !== null;
}

/**
 * The class hotkey a key press stands for: one printable character, lower-cased as the services store
 * hotkeys, with no Ctrl/Cmd/Alt. The grid's own keys (GRID_RESERVED_KEYS) are matched before this.
 */
export function classKeyOf(e: KeyboardEvent): string | null {
  if (e.ctrlKey || e.metaKey || e.altKey || [...e.key].length !== 1 || e.key === ' ') return null;
  return e.key.toLowerCase();
}
