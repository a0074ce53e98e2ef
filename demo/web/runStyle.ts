/**
 * 20 colours that stay apart on a white chart: Tableau 10, then 10 darker hues of other
 * families (so the second ten are not pale twins of the first).
 */
export const PALETTE: readonly string[] = [
  '#4e79a7', '#f28e2b', '#e15759', '#59a14f', '#b07aa1', '#76b7b2', '#edc948', '#ff9da7', '#9c755f', '#6b6ecf',
  '#1b3f7a', '#a6400f', '#8e1b3b', '#1e6b35', '#5b2a86', '#0f6e77', '#8a6d00', '#c0307a', '#4f3422', '#4d4d4d',
];

/** Dash patterns (canvas `setLineDash` segments, px), solid first. */
export const DASHES: readonly (readonly number[])[] = [[], [7, 4], [2, 3], [10, 3, 2, 3]];

/** How one run is drawn: its colour and its dash pattern (empty: solid). */
export interface RunStyle {
  readonly color: string;
  readonly dash: readonly number[];
}

/**
 * The style of the `index`-th run (0-based) of a group.
 *
 *   color = PALETTE[index mod 20],  dash = DASHES[⌊index / 20⌋ mod 4]
 *
 * 1. The first 20 runs of a group get 20 different colours, all solid.
 * 2. Runs 21–40 reuse the colours, dashed; 41–60 dotted; 61–80 dash-dotted: no two runs of a
 *    group look alike before the 81st.
 * 3. A negative or fractional index is a programming error and throws a RangeError.
 *
 * @example
 * runStyle(0);  // { color: '#4e79a7', dash: [] }
 * runStyle(20); // { color: '#4e79a7', dash: [7, 4] }
 */
export function runStyle(index: number): RunStyle {
  if (!Number.isInteger(index) || index < 0) throw new RangeError(`runStyle: expected an index ≥ 0, got ${index}`);
  return { color: PALETTE[index % PALETTE.length], dash: DASHES[Math.floor(index / PALETTE.length) % DASHES.length] };
}

/**
 * A `#rrggbb` colour at opacity `alpha` in [0, 1], as CSS `rgba(…)`: how faded runs and raw
 * points are drawn.
 *
 * @example
 * withAlpha('#4e79a7', 0.2); // 'rgba(78, 121, 167, 0.2)'
 */
export function withAlpha(hex: string, alpha: number): string {
  const n = parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
}
