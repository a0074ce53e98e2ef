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
