// Short-lived notices in the corner: results of actions, errors, with an optional action button.

export interface Toast {
  id: number;
  kind: 'info' | 'success' | 'error';
  message: string;
  action?: { label: string; run: () => void };
}

export class ToastsState {
  items: Toast[] = $state([]);
  private nextId = 1;

  push(message: string, kind: Toast['kind'] = 'info', action?: Toast['action'], ms = kind === 'error' ? 8000 : 4000): number {
    const id = this.nextId++;
    this.items = [...this.items.slice(-4), { id, kind, message, action }];
    setTimeout(() => this.dismiss(id), ms);
    return id;
  }

  error(message: string): number {
    return this.push(message, 'error');
  }

  dismiss(id: number): void {
    this.items = this.items.filter((t) => t.id !== id);
  }
}
