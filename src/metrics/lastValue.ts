import { RxgradError } from '../RxgradError';
import type { Baseline } from './Baseline';

/** State of `lastValue`: the last value seen (0 before any). */
export interface LastValueState {
  last: number;
}

/**
 * The last-value regressor: predicts the previous target.
 *
 *   ŷ_t = y_{t−1};   before any value: ŷ = 0
 *
 * @example
 * const b = lastValue();
 * const s = b.init();
 * b.learn(s, 4.2, 0);
 * b.predict(s, 0); // 4.2
 */
export function lastValue(): Baseline<LastValueState> {
  return {
    name: 'lastValue',
    init: () => ({ last: 0 }),
    predict: (s) => s.last,
    learn: (s, y) => {
      if (!Number.isFinite(y)) throw new RxgradError('y', 'a finite number', y);
      s.last = y;
    },
  };
}
