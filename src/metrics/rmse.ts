import { meanMetric, type MeanState } from './meanMetric';
import type { Metric } from './Metric';

/**
 * Root mean squared error (River's `RMSE`):
 *
 *   RMSE = √((1/n) Σ_i (y_i − ŷ_i)²)
 *
 * @example
 * const m = rmse();
 * const s = m.init();
 * m.update(s, 3, 2.5, undefined, 0);
 * m.get(s); // 0.5
 */
export function rmse(): Metric<MeanState> {
  return meanMetric({ name: 'rmse', bigger: false, needsProba: false, term: (y, yHat) => (y - yHat) * (y - yHat), finish: Math.sqrt });
}
