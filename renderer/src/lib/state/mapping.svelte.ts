// The mapping screen: cluster -> class table, many-to-one naming, proposals, metrics.
import type { MappingProposal, RunMetrics } from '$contract/api.ts';
import type { AppState } from './app.svelte.ts';
import { Loader } from './loader.svelte.ts';
import { errorMessage } from '../util/format.ts';

export class MappingState {
  readonly metrics = new Loader<RunMetrics>();
  proposal: MappingProposal | null = $state(null);
  proposing = $state(false);
  proposalError: string | null = $state(null);
  checked: ReadonlySet<number> = $state.raw(new Set());
  bulkName = $state('');

  constructor(private readonly app: AppState) {}

  load(): Promise<void> {
    const runId = this.app.runId;
    if (runId === null) return Promise.resolve();
    const v = this.app.versions;
    return this.metrics.load(`${runId}|${v.mapping}|${v.corrections}|${v.runs}`, () => this.app.bridge.call('runs.metrics', { runId }));
  }

  toggle(cluster: number, on?: boolean): void {
    const next = new Set(this.checked);
    if (on ?? !next.has(cluster)) next.add(cluster);
    else next.delete(cluster);
    this.checked = next;
  }

  setChecked(clusters: number[]): void {
    this.checked = new Set(clusters);
  }

  async applyBulk(name: string | null): Promise<void> {
    const clusters = [...this.checked].sort((a, b) => a - b);
    if (await this.app.nameClusters(clusters, name)) {
      this.checked = new Set();
      this.bulkName = '';
    }
  }

  async propose(from: 'few-shot' | 'ground-truth'): Promise<void> {
    const runId = this.app.runId;
    if (runId === null) return;
    this.proposing = true;
    this.proposalError = null;
    try {
      this.proposal = await this.app.bridge.call('mapping.propose', { runId, from });
    } catch (err) {
      this.proposal = null;
      this.proposalError = errorMessage(err);
    } finally {
      this.proposing = false;
    }
  }

  async accept(): Promise<void> {
    const runId = this.app.runId;
    const proposal = this.proposal;
    if (runId === null || !proposal) return;
    try {
      const res = await this.app.bridge.call('mapping.accept', { runId, proposal: $state.snapshot(proposal) as MappingProposal });
      this.app.history.record({ kind: 'mapping', label: `accept the ${proposal.from} mapping`, runId, entries: res.previous });
      this.app.touch(['mapping', 'classes']);
      this.app.toasts.push('Mapping accepted', 'success', { label: 'Undo', run: () => void this.app.undo() });
      this.proposal = null;
    } catch (err) {
      this.app.toasts.error(`Accept failed: ${errorMessage(err)}`);
    }
  }
}
