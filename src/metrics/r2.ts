import type { Metric } from './Metric';

/** State of `r2`: count, running mean and sum of squared deviations of y (Welford), residual sum of squares. */
export interface R2State {
  n: number;
  mean: number;
  m2: number;
  ssRes: number;
}

/**
 * Coefficient of determination (River's `R2`):
 *
 *   R² = 1 − SS_res / SS_tot,   SS_res = Σ_i (y_i − ŷ_i)²,   SS_tot = Σ_i (y_i − ȳ)²
 *
 * SS_tot is kept with Welford's update (and its exact inverse for `revert`). As in River, R² is
 * 0 while fewer than 2 examples were seen or when SS_tot = 0 (NaN before any example).
 *
 * @example
 * const m = r2();
 * const s = m.init();
 * for (const [y, yHat] of [[3, 2.5], [-0.5, 0]]) m.update(s, y, yHat, undefined, 0);
 * m.get(s); // 1 − 0.5 / 6.125 = 0.918367
 */
export function r2(): Metric<R2State> {
  return {
    name: 'r2',
    bigger: true,
    needsProba: false,
    init: () => ({ n: 0, mean: 0, m2: 0, ssRes: 0 }),
    update: (s, y, yHat) => {
      s.n += 1;
      const delta = y - s.mean;
      s.mean += delta / s.n;
      s.m2 += delta * (y - s.mean);
      s.ssRes += (y - yHat) * (y - yHat);
    },
    revert: (s, y, yHat) => {
      s.n -= 1;
      if (s.n === 0) {
        s.mean = s.m2 = s.ssRes = 0;
        return;
      }
      const before = s.mean - (y - s.mean) / s.n;
      s.m2 -= (y - before) * (y - s.mean);
      s.mean = before;
      s.ssRes -= (y - yHat) * (y - yHat);
    },
    get: (s) => (s.n === 0 ? NaN : s.n < 2 || s.m2 === 0 ? 0 : 1 - s.ssRes / s.m2),
  };
}
