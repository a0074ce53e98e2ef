/** The y scale a chart draws with, and why it differs from the one asked for. */
export interface ChartScale {
  readonly log: boolean;
  /** Shown on the chart when the log scale asked for could not be used. */
  readonly note?: string;
}

/**
 * The y scale of one chart given the toolbar's log switch and the values it will draw.
 *
 * 1. Linear asked: linear.
 * 2. Log asked and every finite value > 0: log.
 * 3. Log asked but some finite value ≤ 0 (a loss with gradient noise, a value that reached 0):
 *    linear for this chart, with a note saying so — a log scale would drop those points and
 *    break the lines.
 * 4. Non-finite values (null, NaN, ±∞) are gaps either way and do not decide.
 *
 * @example
 * chartScale(true, [[0.5, 0.1], [0.3]]);  // { log: true }
 * chartScale(true, [[0.5, -0.2]]);        // { log: false, note: 'linear scale: some values ≤ 0' }
 */
export function chartScale(log: boolean, series: readonly (readonly (number | null)[])[]): ChartScale {
  if (!log) return { log: false };
  for (const ys of series) {
    for (const y of ys) if (y !== null && Number.isFinite(y) && y <= 0) return { log: false, note: 'linear scale: some values ≤ 0' };
  }
  return { log: true };
}

/**
 * A log-scale y range widened to values uPlot's log axis can step from: the bounds rounded
 * outward to one significant digit, k·10^e with k in 1…9 (uPlot's log ticks start at the
 * range's minimum and add 10^e; from a minimum like 0.00982 they overshoot 0.01 to 0.011 and
 * never meet a decade again).
 *
 *   lo' = ⌊lo / 10^e⌋·10^e, e = ⌊log10 lo⌋;   hi' = ⌈hi / 10^f⌉·10^f, f = ⌊log10 hi⌋
 *
 * Both bounds must be > 0. The numbers are written as `k e e` literals, so they are the
 * doubles uPlot's own tick arithmetic lands on.
 *
 * @example
 * logBounds(0.00982, 2.03); // [0.009, 3]
 * logBounds(0.138, 0.545);  // [0.1, 0.6]
 */
export function logBounds(lo: number, hi: number): [number, number] {
  const e = Math.floor(Math.log10(lo));
  const f = Math.floor(Math.log10(hi));
  const k = Math.max(1, Math.floor(lo / 10 ** e + 1e-9));
  const m = Math.ceil(hi / 10 ** f - 1e-9);
  return [Number(`${k}e${e}`), Number(`${m}e${f}`)];
}
