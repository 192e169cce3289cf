// Undo and redo of person labels, cluster names and class-list changes. Every mutating call returns
// the states it replaced; undo restores those and keeps what restore returns (the undone states) for redo.
import type { ApiBridge, ClassSnapshot, ClusterNameEntry, CorrectionEntry } from '$contract/api.ts';

export type HistoryEntry =
  | { kind: 'corrections'; label: string; entries: CorrectionEntry[] }
  | { kind: 'mapping'; label: string; runId: number; entries: ClusterNameEntry[] }
  | { kind: 'classes'; label: string; snapshot: ClassSnapshot };

const MAX_DEPTH = 200;

export class HistoryState {
  undoStack: HistoryEntry[] = $state([]);
  redoStack: HistoryEntry[] = $state([]);
  busy = $state(false);

  readonly canUndo = $derived(this.undoStack.length > 0 && !this.busy);
  readonly canRedo = $derived(this.redoStack.length > 0 && !this.busy);
  readonly undoLabel = $derived(this.undoStack.at(-1)?.label ?? null);
  readonly redoLabel = $derived(this.redoStack.at(-1)?.label ?? null);

  constructor(
    private readonly bridge: () => ApiBridge,
    /** Called after an undo/redo changed data, with what changed. */
    private readonly onChanged: (kind: HistoryEntry['kind'], label: string, direction: 'undo' | 'redo') => void,
  ) {}

  /** Records a change just made; `previous` is what the call returned. Clears the redo stack. */
  record(entry: HistoryEntry): void {
    if (entry.kind === 'classes' ? entry.snapshot.classes.length === 0 : entry.entries.length === 0) return;
    this.undoStack = [...this.undoStack.slice(-(MAX_DEPTH - 1)), entry];
    this.redoStack = [];
  }

  clear(): void {
    this.undoStack = [];
    this.redoStack = [];
  }

  /**
   * Undo and redo run one after another: a key pressed while the previous step is still on its way
   * waits for it instead of being dropped (the grid may already show the undone state, from the
   * server's change notice, before the call itself has returned).
   */
  private queue: Promise<void> = Promise.resolve();

  undo(): Promise<void> {
    return this.enqueue('undo');
  }

  redo(): Promise<void> {
    return this.enqueue('redo');
  }

  private enqueue(direction: 'undo' | 'redo'): Promise<void> {
    const next = this.queue.then(() => this.step(direction));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async step(direction: 'undo' | 'redo'): Promise<void> {
    const from = direction === 'undo' ? this.undoStack : this.redoStack;
    if (from.length === 0) return;
    const entry = from[from.length - 1];
    this.busy = true;
    try {
      const inverse = await this.restore(entry);
      if (direction === 'undo') {
        this.undoStack = this.undoStack.slice(0, -1);
        this.redoStack = [...this.redoStack, inverse];
      } else {
        this.redoStack = this.redoStack.slice(0, -1);
        this.undoStack = [...this.undoStack, inverse];
      }
      this.onChanged(entry.kind, entry.label, direction);
    } finally {
      this.busy = false;
    }
  }

  private async restore(entry: HistoryEntry): Promise<HistoryEntry> {
    const bridge = this.bridge();
    if (entry.kind === 'corrections') {
      const res = await bridge.call('corrections.restore', { entries: $state.snapshot(entry.entries) as CorrectionEntry[] });
      return { kind: 'corrections', label: entry.label, entries: res.previous };
    }
    if (entry.kind === 'classes') {
      const res = await bridge.call('labels.restoreClasses', { snapshot: $state.snapshot(entry.snapshot) as ClassSnapshot });
      return { kind: 'classes', label: entry.label, snapshot: res.previous };
    }
    const res = await bridge.call('mapping.restore', { runId: entry.runId, entries: $state.snapshot(entry.entries) as ClusterNameEntry[] });
    return { kind: 'mapping', label: entry.label, runId: entry.runId, entries: res.previous };
  }
}
