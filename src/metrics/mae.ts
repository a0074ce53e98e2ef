import { meanMetric, type MeanState } from './meanMetric';
import type { Metric } from './Metric';

/**
 * Mean absolute error (River's `MAE`):
 *
 *   MAE = (1/n) Σ_i |y_i − ŷ_i|
 *
 * @example
 * const m = mae();
 * const s = m.init();
 * m.update(s, 3, 2.5, undefined, 0);
 * m.get(s); // 0.5
 */
export function mae(): Metric<MeanState> {
  return meanMetric({ name: 'mae', bigger: false, needsProba: false, term: (y, yHat) => Math.abs(y - yHat) });
}
