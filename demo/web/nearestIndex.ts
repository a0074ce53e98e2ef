/**
 * The index of the value of `xs` (sorted ascending) nearest to `x`, by binary search; ties go to
 * the earlier point. `null` for an empty array or a non-finite `x`.
 *
 *   i* = argmin_i |xs[i] − x|
 *
 * @example
 * nearestIndex([1, 2, 4], 3.2); // 2 (|4 − 3.2| = 0.8 < |2 − 3.2| = 1.2)
 * nearestIndex([1, 2, 4], 3);   // 1 (a tie: the earlier point)
 */
export function nearestIndex(xs: ArrayLike<number>, x: number): number | null {
  if (xs.length === 0 || !Number.isFinite(x)) return null;
  let lo = 0;
  let hi = xs.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (xs[mid] <= x) lo = mid;
    else hi = mid;
  }
  return Math.abs(xs[hi] - x) < Math.abs(xs[lo] - x) ? hi : lo;
}
