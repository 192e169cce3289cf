// The one AppState instance, handed to components through Svelte context.
import { getContext, setContext } from 'svelte';
import type { AppState } from './app.svelte.ts';

const KEY = Symbol('app');

export function provideApp(app: AppState): void {
  setContext(KEY, app);
}

/** Context map for mount(), so the root component finds the state like every other one. */
export function appContext(app: AppState): Map<symbol, unknown> {
  return new Map<symbol, unknown>([[KEY, app]]);
}

export function useApp(): AppState {
  const app = getContext<AppState | undefined>(KEY);
  if (!app) throw new Error('AppState missing: provideApp() must run in App.svelte');
  return app;
}
