// The image screen: one image's detail in the current run (probabilities, neighbours).
import type { ImageDetail } from '$contract/api.ts';
import type { AppState } from './app.svelte.ts';
import { Loader } from './loader.svelte.ts';

export class ImageState {
  readonly detail = new Loader<ImageDetail>();

  constructor(private readonly app: AppState) {}

  load(imageId: number): Promise<void> {
    const runId = this.app.runId;
    if (runId === null) return Promise.resolve();
    const v = this.app.versions;
    return this.detail.load(`${runId}|${imageId}|${v.corrections}|${v.mapping}`, () => this.app.bridge.call('image.detail', { imageId, runId, neighbours: 24 }));
  }

  /** The probability bars: the k clusters, most probable first, top `n`. */
  bars(n = 10): Array<{ label: string; value: number; cluster: number }> {
    const d = this.detail.value;
    if (!d) return [];
    return d.probs
      .map((p, cluster) => ({ cluster, value: p, label: `${cluster} · ${this.app.clusterName(cluster) ?? 'unnamed'}` }))
      .sort((a, b) => b.value - a.value)
      .slice(0, n);
  }
}
