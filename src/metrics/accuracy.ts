import type { Metric } from './Metric';

/** State of `accuracy`: examples seen and how many were right. */
export interface AccuracyState {
  n: number;
  correct: number;
}

/**
 * Accuracy, the share of exact matches (River's `Accuracy`; any number of classes):
 *
 *   accuracy = #{ŷ = y} / n
 *
 * @example
 * const m = accuracy();
 * const s = m.init();
 * m.update(s, 1, 1, undefined, 0);
 * m.update(s, 0, 1, undefined, 0);
 * m.get(s); // 0.5
 */
export function accuracy(): Metric<AccuracyState> {
  return {
    name: 'accuracy',
    bigger: true,
    needsProba: false,
    init: () => ({ n: 0, correct: 0 }),
    update: (s, y, yHat) => {
      s.n += 1;
      if (y === yHat) s.correct += 1;
    },
    revert: (s, y, yHat) => {
      s.n -= 1;
      if (y === yHat) s.correct -= 1;
    },
    get: (s) => (s.n === 0 ? NaN : s.correct / s.n),
  };
}
