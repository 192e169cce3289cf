// Classes offered by pickers: every known class with the clusters of the current run named so and its hotkey.
import type { ClassSummary, ClusterMapping } from '$contract/api.ts';

export interface ClassOption {
  name: string;
  clusters: number[];
  /** The key that moves a selection to this class; null = none. */
  hotkey: string | null;
}

export function classOptions(classNames: string[], mapping: ClusterMapping | null, classes: readonly ClassSummary[] = []): ClassOption[] {
  const byName = new Map<string, number[]>();
  for (const n of classNames) byName.set(n, []);
  for (const c of mapping?.clusters ?? []) {
    if (!c.className) continue;
    if (!byName.has(c.className)) byName.set(c.className, []);
    byName.get(c.className)!.push(c.cluster);
  }
  const hotkeys = new Map(classes.map((c) => [c.name, c.hotkey]));
  return [...byName.entries()].map(([name, clusters]) => ({ name, clusters, hotkey: hotkeys.get(name) ?? null })).sort((a, b) => a.name.localeCompare(b.name));
}
