// Classes offered by pickers: every known class with the clusters of the current run named so.
import type { ClusterMapping } from '$contract/api.ts';

export interface ClassOption {
  name: string;
  clusters: number[];
}

export function classOptions(classNames: string[], mapping: ClusterMapping | null): ClassOption[] {
  const byName = new Map<string, number[]>();
  for (const n of classNames) byName.set(n, []);
  for (const c of mapping?.clusters ?? []) {
    if (!c.className) continue;
    if (!byName.has(c.className)) byName.set(c.className, []);
    byName.get(c.className)!.push(c.cluster);
  }
  return [...byName.entries()].map(([name, clusters]) => ({ name, clusters })).sort((a, b) => a.name.localeCompare(b.name));
}
