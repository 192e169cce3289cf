// What the pipeline screen's "Quick" box changes, in words. The figures mirror the services' SPICE
// settings (main/pipeline/cluster/spice-settings.ts); test/renderer checks that they still agree.
export const QUICK_SPICE_SELF = { heads: 3, epochs: 8 } as const;
export const DEFAULT_SPICE_SELF = { heads: 10, epochs: 100 } as const;

export function quickHint(): string {
  return (
    `SPICE-Self with ${QUICK_SPICE_SELF.heads} heads and ${QUICK_SPICE_SELF.epochs} epochs instead of ` +
    `${DEFAULT_SPICE_SELF.heads} and ${DEFAULT_SPICE_SELF.epochs}, for trying things out; nothing else changes ` +
    '(SPICE-Semi stays as set below)'
  );
}
