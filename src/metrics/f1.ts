import type { Metric } from './Metric';

/** State of `f1`: examples seen, true positives, false positives, false negatives. */
export interface F1State {
  n: number;
  tp: number;
  fp: number;
  fn: number;
}

/**
 * Binary F1 score with class 1 positive (River's `F1`):
 *
 *   precision = tp / (tp + fp),   recall = tp / (tp + fn)   (0 when the denominator is 0)
 *   F1 = 2 · precision · recall / (precision + recall)      (0 when both are 0)
 *
 * @example
 * const m = f1();
 * const s = m.init();
 * m.update(s, 1, 1, undefined, 0);
 * m.update(s, 0, 1, undefined, 0);
 * m.get(s); // precision ½, recall 1: F1 = ⅔
 */
export function f1(): Metric<F1State> {
  const add = (s: F1State, y: number, yHat: number, by: number): void => {
    s.n += by;
    if (yHat === 1 && y === 1) s.tp += by;
    else if (yHat === 1) s.fp += by;
    else if (y === 1) s.fn += by;
  };
  return {
    name: 'f1',
    bigger: true,
    needsProba: false,
    init: () => ({ n: 0, tp: 0, fp: 0, fn: 0 }),
    update: (s, y, yHat) => add(s, y, yHat, 1),
    revert: (s, y, yHat) => add(s, y, yHat, -1),
    get: (s) => {
      if (s.n === 0) return NaN;
      const precision = s.tp + s.fp === 0 ? 0 : s.tp / (s.tp + s.fp);
      const recall = s.tp + s.fn === 0 ? 0 : s.tp / (s.tp + s.fn);
      return precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    },
  };
}
