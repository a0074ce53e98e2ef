import { RxgradError, shown } from './RxgradError';

/**
 * Quantiles of `values` by linear interpolation between order statistics (NumPy's default
 * `'linear'`, Hyndman & Fan type 7; PyTorch's `torch.quantile`):
 *
 *   x_(0) ≤ … ≤ x_(n−1) sorted,   h = (n − 1)·p,   Q(p) = x_(⌊h⌋) + (h − ⌊h⌋)·(x_(⌊h⌋+1) − x_(⌊h⌋))
 *
 * 1. `ps` are probabilities in [0, 1]; the result has one value per p, in the order given.
 * 2. Sorts a float64 copy (O(n log n)); `values` is not modified.
 * 3. A NaN among the values makes every quantile NaN (nothing is dropped silently); ±Infinity
 *    sort as numbers.
 * 4. No values, or a p outside [0, 1], throws an `RxgradError`.
 *
 * @example
 * quantiles([4, 1, 3, 2], [0, 0.5, 0.25]); // [1, 2.5, 1.75]
 */
export function quantiles(values: ArrayLike<number>, ps: readonly number[]): number[] {
  for (const [i, p] of ps.entries()) {
    if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new RxgradError(`ps[${i}]`, 'a probability in [0, 1]', p);
  }
  const n = values.length;
  if (n === 0) throw new RxgradError('values', 'at least one value', shown('none'));
  const sorted = Float64Array.from(values);
  if (sorted.some(Number.isNaN)) return ps.map(() => NaN);
  sorted.sort();
  return ps.map((p) => {
    const h = (n - 1) * p;
    const lo = Math.floor(h);
    return lo + 1 < n && h > lo ? sorted[lo] + (h - lo) * (sorted[lo + 1] - sorted[lo]) : sorted[lo];
  });
}
