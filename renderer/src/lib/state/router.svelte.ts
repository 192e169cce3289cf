// Screen and its parameters, mirrored in location.hash (#/grid?run=3&cluster=2) so reloads,
// back/forward and tests land on the same view.

export type Screen = 'projects' | 'pipeline' | 'clusters' | 'grid' | 'review' | 'labels' | 'mapping' | 'image' | 'map' | 'export';

export const SCREENS: ReadonlyArray<{ id: Screen; label: string; needsRun: boolean; hidden?: boolean }> = [
  { id: 'projects', label: 'Projects', needsRun: false },
  { id: 'pipeline', label: 'Pipeline', needsRun: false },
  { id: 'clusters', label: 'Clusters', needsRun: true },
  { id: 'grid', label: 'Cluster grid', needsRun: true },
  { id: 'review', label: 'Review queue', needsRun: true },
  { id: 'labels', label: 'Classes & labels', needsRun: false },
  { id: 'mapping', label: 'Mapping', needsRun: true },
  { id: 'image', label: 'Image', needsRun: true, hidden: true },
  { id: 'map', label: '2-D map', needsRun: true },
  { id: 'export', label: 'Export', needsRun: true },
];

export interface Route {
  screen: Screen;
  params: Record<string, string>;
}

export function parseHash(hash: string): Route {
  const h = hash.replace(/^#\/?/, '');
  const [path, query = ''] = h.split('?');
  const screen = (SCREENS.some((s) => s.id === path) ? path : 'projects') as Screen;
  const params: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(query)) params[k] = v;
  return { screen, params };
}

export function formatHash(route: Route): string {
  const q = new URLSearchParams(route.params).toString();
  return `#/${route.screen}${q ? `?${q}` : ''}`;
}

export class RouterState {
  route: Route = $state(parseHash(typeof location === 'undefined' ? '' : location.hash));

  readonly screen = $derived(this.route.screen);

  constructor() {
    window.addEventListener('hashchange', () => {
      const next = parseHash(location.hash);
      if (formatHash(next) !== formatHash(this.route)) this.route = next;
    });
  }

  go(screen: Screen, params: Record<string, string | number | null | undefined> = {}): void {
    const clean: Record<string, string> = {};
    for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined && v !== '') clean[k] = String(v);
    this.route = { screen, params: clean };
    const hash = formatHash(this.route);
    if (location.hash !== hash) history.pushState(null, '', hash);
  }

  /** Goes to a screen without a new history entry (stepping through images, the start screen chosen at load). */
  replace(screen: Screen, params: Record<string, string | number | null | undefined> = {}): void {
    const clean: Record<string, string> = {};
    for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined && v !== '') clean[k] = String(v);
    this.route = { screen, params: clean };
    history.replaceState(null, '', formatHash(this.route));
  }

  /** True when the address named no screen (a fresh start, not a reload or a link to a view). */
  get unrouted(): boolean {
    return location.hash.replace(/^#\/?/, '') === '';
  }

  /** Changes parameters of the current screen without a new history entry. */
  patch(params: Record<string, string | number | null | undefined>): void {
    const next = { ...this.route.params };
    for (const [k, v] of Object.entries(params)) {
      if (v === null || v === undefined || v === '') delete next[k];
      else next[k] = String(v);
    }
    this.route = { screen: this.route.screen, params: next };
    history.replaceState(null, '', formatHash(this.route));
  }

  param(name: string): string | null {
    return this.route.params[name] ?? null;
  }

  numberParam(name: string): number | null {
    const v = this.route.params[name];
    if (v === undefined) return null;
    const n = Number(v);
    return Number.isFinite(n) ? n : null;
  }
}
