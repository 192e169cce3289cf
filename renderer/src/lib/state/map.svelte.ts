// The 2-D map: the run's projection as flat arrays for the canvas, and a lasso selection.
import type { Projection } from '$contract/api.ts';
import type { AppState } from './app.svelte.ts';
import { Loader } from './loader.svelte.ts';

export interface MapPoints {
  ids: Int32Array;
  x: Float32Array;
  y: Float32Array;
  cluster: Int32Array;
}

export function toPoints(p: Projection): MapPoints {
  const n = p.points.length;
  const out: MapPoints = { ids: new Int32Array(n), x: new Float32Array(n), y: new Float32Array(n), cluster: new Int32Array(n) };
  p.points.forEach((pt, i) => {
    out.ids[i] = pt.imageId;
    out.x[i] = pt.x;
    out.y[i] = pt.y;
    out.cluster[i] = pt.cluster;
  });
  return out;
}

export class MapState {
  readonly projection = new Loader<Projection>();
  selected: ReadonlySet<number> = $state.raw(new Set());
  focusCluster: number | null = $state(null);

  readonly points: MapPoints | null = $derived(this.projection.value ? toPoints(this.projection.value) : null);
  readonly clusterSizes = $derived.by(() => {
    const sizes = new Map<number, number>();
    const pts = this.points;
    if (pts) for (let i = 0; i < pts.cluster.length; i++) sizes.set(pts.cluster[i], (sizes.get(pts.cluster[i]) ?? 0) + 1);
    return [...sizes.entries()].sort((a, b) => a[0] - b[0]);
  });

  constructor(private readonly app: AppState) {}

  load(): Promise<void> {
    const runId = this.app.runId;
    if (runId === null) return Promise.resolve();
    return this.projection.load(`${runId}`, () => this.app.bridge.call('map.projection', { runId }));
  }

  lasso(ids: number[], additive: boolean): void {
    if (additive) {
      const next = new Set(this.selected);
      for (const id of ids) next.add(id);
      this.selected = next;
    } else this.selected = new Set(ids);
  }

  clear(): void {
    this.selected = new Set();
  }

  async moveSelection(className: string): Promise<void> {
    if (await this.app.moveImages([...this.selected], className)) this.clear();
  }

  async outlierSelection(): Promise<void> {
    if (await this.app.markOutliers([...this.selected])) this.clear();
  }
}
