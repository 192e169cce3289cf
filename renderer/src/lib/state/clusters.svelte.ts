// The clusters overview of the current run, reloaded when names, corrections or runs change.
import type { ClusterOverview } from '$contract/api.ts';
import type { AppState } from './app.svelte.ts';
import { Loader } from './loader.svelte.ts';

export type CardSort = 'cluster' | 'size' | 'confidence' | 'reliable' | 'name';

export class ClustersState {
  readonly overview = new Loader<ClusterOverview>();
  sort: CardSort = $state('cluster');
  filter = $state('');

  readonly cards = $derived.by(() => {
    const cards = [...(this.overview.value?.cards ?? [])];
    const f = this.filter.trim().toLowerCase();
    const shown = f ? cards.filter((c) => String(c.cluster) === f || (c.className ?? 'unnamed').toLowerCase().includes(f)) : cards;
    const by: Record<CardSort, (a: (typeof cards)[0], b: (typeof cards)[0]) => number> = {
      cluster: (a, b) => a.cluster - b.cluster,
      size: (a, b) => b.size - a.size,
      confidence: (a, b) => b.meanConfidence - a.meanConfidence,
      reliable: (a, b) => b.reliableShare - a.reliableShare,
      name: (a, b) => (a.className ?? '\uffff').localeCompare(b.className ?? '\uffff') || a.cluster - b.cluster,
    };
    return shown.sort(by[this.sort]);
  });

  constructor(private readonly app: AppState) {}

  load(force = false): Promise<void> {
    const runId = this.app.runId;
    if (runId === null) {
      this.overview.reset();
      return Promise.resolve();
    }
    const v = this.app.versions;
    const key = `${runId}|${v.mapping}|${v.corrections}|${v.runs}`;
    return this.overview.load(key, () => this.app.bridge.call('clusters.overview', { runId, samples: 8 }), force);
  }
}
