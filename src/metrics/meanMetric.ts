import type { Metric } from './Metric';

/** State of a metric that averages a per-example term: count and sum. */
export interface MeanState {
  n: number;
  sum: number;
}

/** What defines a mean metric: its name, direction, per-example term and final transform. */
export interface MeanMetricSpec {
  readonly name: string;
  readonly bigger: boolean;
  readonly needsProba: boolean;
  /** The per-example term e(y, ŷ, proba). */
  readonly term: (y: number, yHat: number, proba: ArrayLike<number> | undefined) => number;
  /** Applied to the mean (default: identity), e.g. √ for RMSE. */
  readonly finish?: (mean: number) => number;
}

/**
 * A metric that is (a function of) the mean of a per-example term — River's `MeanMetric`:
 *
 *   value = finish((1/n) Σ_i e(y_i, ŷ_i, p_i))
 *
 * The state keeps n and the sum, so `revert` subtracts the term again.
 *
 * @example
 * const mse = meanMetric({ name: 'mse', bigger: false, needsProba: false, term: (y, yHat) => (y - yHat) ** 2 });
 */
export function meanMetric({ name, bigger, needsProba, term, finish }: MeanMetricSpec): Metric<MeanState> {
  return {
    name,
    bigger,
    needsProba,
    init: () => ({ n: 0, sum: 0 }),
    update: (s, y, yHat, proba) => {
      s.n += 1;
      s.sum += term(y, yHat, proba);
    },
    revert: (s, y, yHat, proba) => {
      s.n -= 1;
      s.sum = s.n === 0 ? 0 : s.sum - term(y, yHat, proba);
    },
    get: (s) => (s.n === 0 ? NaN : finish ? finish(s.sum / s.n) : s.sum / s.n),
  };
}
