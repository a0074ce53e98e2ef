import { RxgradError, shown } from '../RxgradError';
import { meanMetric, type MeanState } from './meanMetric';
import type { Metric } from './Metric';

const EPS = 1e-15;
const clamp = (p: number): number => (p < EPS ? EPS : p > 1 - EPS ? 1 - EPS : p);

/**
 * Logarithmic loss (River's `LogLoss` for two classes, `CrossEntropy` for more), with the
 * probability clipped to [1e−15, 1 − 1e−15] as River does:
 *
 *   binary (proba = [1 − p, p]):  e = −log clip(p) if y = 1, −log(1 − clip(p)) if y = 0
 *   k classes:                    e = −log clip(proba[y])
 *   logLoss = (1/n) Σ_i e_i
 *
 * `proba` is required: a missing one throws.
 *
 * @example
 * const m = logLoss();
 * const s = m.init();
 * m.update(s, 1, 1, [0.1, 0.9], 0);
 * m.get(s); // −log 0.9 = 0.105361
 */
export function logLoss(): Metric<MeanState> {
  return meanMetric({
    name: 'logLoss',
    bigger: false,
    needsProba: true,
    term: (y, _yHat, proba) => {
      if (proba === undefined || proba.length < 2) throw new RxgradError('proba', 'the class probabilities (logLoss needs them)', proba === undefined ? proba : shown(`length ${proba.length}`));
      if (proba.length === 2) return y === 1 ? -Math.log(clamp(proba[1])) : -Math.log(1 - clamp(proba[1]));
      return -Math.log(clamp(proba[y]));
    },
  });
}
