/** Options of `robustRange`. */
export interface RobustRangeOptions {
  /** Work on log10 of the values (only values > 0 count). */
  readonly log?: boolean;
  /** Lower and upper quantile kept (default 0.05 and 0.95). */
  readonly lo?: number;
  readonly hi?: number;
  /** Margin added on each side, as a fraction of the kept span (default 0.1). */
  readonly pad?: number;
}

/**
 * A y range that shows the bulk of every series and ignores outliers — TensorBoard's "ignore
 * outliers in chart scaling", with every run weighing the same.
 *
 * 1. Values taken: the finite ones (with `log`, those > 0, as t = log10 v).
 * 2. Each series weighs 1 in total, so each of its n values weighs 1/n: a run with 3,000 noisy
 *    points (SGD with batch 1) counts as much as one with 300, not ten times more.
 * 3. The range is [q_lo, q_hi], the weighted quantiles at `lo` and `hi` (the smallest value whose
 *    cumulative weight reaches lo·S, resp. hi·S, of the total weight S), widened by
 *    `pad`·(q_hi − q_lo) on each side (so a flat line at the edge stays visible).
 * 4. A flat result (q_hi − q_lo ≤ 1e-9·max(1, |q_lo|, |q_hi|): a constant, give or take the
 *    rounding of a smoothed line) falls back to the data's [min, max]; that too flat, or no value
 *    at all, gives `null` (let the chart choose).
 *
 * @example
 * // Runs [1, 2, 3, 4] (1/4 each) and [2, 3, 1000] (1/3 each), S = 2: sorted, the cumulative
 * // weights are .25 .5 .83 1.08 1.42 1.67 2, so 0.1·S is reached at 1 and 0.8·S at 4.
 * robustRange([[1, 2, 3, 4], [2, 3, 1000]], { lo: 0.1, hi: 0.8, pad: 0 }); // [1, 4]
 */
export function robustRange(series: readonly (readonly (number | null)[])[], options: RobustRangeOptions = {}): [number, number] | null {
  const { log = false, lo = 0.05, hi = 0.95, pad = 0.1 } = options;
  const points: [number, number][] = [];
  for (const ys of series) {
    const kept = ys.filter((y): y is number => y !== null && Number.isFinite(y) && (!log || y > 0));
    for (const y of kept) points.push([log ? Math.log10(y) : y, 1 / kept.length]);
  }
  if (points.length === 0) return null;
  points.sort((a, b) => a[0] - b[0]);
  const total = points.reduce((s, p) => s + p[1], 0);
  const quantile = (q: number): number => {
    let cum = 0;
    for (const [t, w] of points) {
      cum += w;
      if (cum >= q * total - 1e-12) return t;
    }
    return points[points.length - 1][0];
  };
  const min = points[0][0];
  const max = points[points.length - 1][0];
  const flat = (x: number, y: number) => y - x <= 1e-9 * Math.max(1, Math.abs(x), Math.abs(y));
  let a = quantile(lo);
  let b = quantile(hi);
  if (flat(a, b)) [a, b] = [min, max];
  if (flat(a, b)) return null;
  const margin = (b - a) * pad;
  const range: [number, number] = [a - margin, b + margin];
  return log ? [10 ** range[0], 10 ** range[1]] : range;
}
