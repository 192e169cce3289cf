/** Cosine decay from `base` at step 0 to 0 after `totalSteps`, per step (smoother than per epoch on short runs). */
export function cosineLr(base: number, step: number, totalSteps: number): number {
  if (totalSteps <= 0) return base;
  const t = Math.min(1, Math.max(0, step / totalSteps));
  return base * 0.5 * (1 + Math.cos(Math.PI * t));
}
