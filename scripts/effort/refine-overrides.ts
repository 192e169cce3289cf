// `bench:effort --refine-settings '<json>'`: refine settings other than the defaults, for measuring a
// change before it becomes one (docs/labelling.md's tables were made this way). Only known settings,
// each with the type of its default.
import { REFINE_DEFAULTS, type RefineSettings } from '../../main/pipeline/label/refine-job.ts';

export function parseRefineOverrides(json: string): Partial<RefineSettings> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new Error(`--refine-settings must be a JSON object, got ${json}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error(`--refine-settings must be a JSON object, got ${json}`);
  for (const [key, value] of Object.entries(parsed)) {
    if (!(key in REFINE_DEFAULTS)) throw new Error(`--refine-settings: unknown setting '${key}' (known: ${Object.keys(REFINE_DEFAULTS).join(', ')})`);
    const expected = typeof REFINE_DEFAULTS[key as keyof RefineSettings];
    if (typeof value !== expected) throw new Error(`--refine-settings: '${key}' must be a ${expected}, got ${JSON.stringify(value)}`);
  }
  return parsed as Partial<RefineSettings>;
}

/** Runs `work` with refine's defaults replaced by `overrides` in this process, then puts them back. */
export async function withRefineDefaults<T>(overrides: Partial<RefineSettings>, work: () => Promise<T>): Promise<T> {
  const saved = { ...REFINE_DEFAULTS };
  Object.assign(REFINE_DEFAULTS, overrides);
  try {
    return await work();
  } finally {
    Object.assign(REFINE_DEFAULTS, saved);
  }
}
