// Distinct colours for cluster indices: a fixed categorical set, then evenly spread hues.
const BASE = [
  '#4e79a7',
  '#f28e2b',
  '#e15759',
  '#76b7b2',
  '#59a14f',
  '#edc948',
  '#b07aa1',
  '#ff9da7',
  '#9c755f',
  '#bab0ac',
  '#1f77b4',
  '#ff7f0e',
  '#2ca02c',
  '#d62728',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#7f7f7f',
  '#bcbd22',
  '#17becf',
];

export function clusterColor(cluster: number): string {
  if (cluster < 0) return '#888888';
  if (cluster < BASE.length) return BASE[cluster];
  const hue = (cluster * 137.508) % 360;
  return `hsl(${hue.toFixed(1)} 55% 55%)`;
}

/** Sequential colour for a 0..1 value (heatmaps), readable on dark and light backgrounds. */
export function heatColor(t: number): string {
  const x = Math.min(1, Math.max(0, t));
  // From a faint blue-grey to a saturated blue.
  const l = 92 - x * 55;
  const s = 25 + x * 60;
  return `hsl(215 ${s.toFixed(0)}% ${l.toFixed(0)}%)`;
}
