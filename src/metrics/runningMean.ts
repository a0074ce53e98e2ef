import { RxgradError } from '../RxgradError';
import type { Baseline } from './Baseline';

/** State of `runningMean`: values seen and their mean. */
export interface RunningMeanState {
  n: number;
  mean: number;
}

/**
 * The running-mean regressor (River's `dummy.StatisticRegressor(stats.Mean())`): predicts the
 * mean of the targets seen so far.
 *
 *   ȳ_n = ȳ_{n−1} + (y_n − ȳ_{n−1}) / n,   ŷ_t = ȳ_{t−1};   before any value: ŷ = 0
 *
 * @example
 * const b = runningMean();
 * const s = b.init();
 * [1, 2, 6].forEach((y) => b.learn(s, y, 0));
 * b.predict(s, 0); // 3
 */
export function runningMean(): Baseline<RunningMeanState> {
  return {
    name: 'runningMean',
    init: () => ({ n: 0, mean: 0 }),
    predict: (s) => s.mean,
    learn: (s, y) => {
      if (!Number.isFinite(y)) throw new RxgradError('y', 'a finite number', y);
      s.n += 1;
      s.mean += (y - s.mean) / s.n;
    },
  };
}
