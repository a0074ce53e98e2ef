/**
 * TensorBoard's debiased exponential moving average of a series.
 *
 *   m_t = w·m_{t−1} + (1 − w)·y_t,  m_0 = 0,   s_t = m_t / (1 − w^n_t)
 *
 * where n_t counts the finite values so far (the division removes the bias of starting at 0,
 * so s_1 = y_1). Non-finite values (NaN, null) pass through unchanged and do not update m.
 * `w` in [0, 1): 0 returns the series itself; `w` ≥ 1 (no defined average) does too.
 *
 * @example
 * smooth([1, 2, 3], 0.5); // [1, 1.6667, 2.4286]: m = 0.5, 1.25, 2.125 over 1 − 0.5ⁿ = 0.5, 0.75, 0.875
 */
export function smooth(values: readonly (number | null)[], w: number): (number | null)[] {
  let m = 0;
  let n = 0;
  return values.map((y) => {
    if (y === null || !Number.isFinite(y)) return y;
    m = w * m + (1 - w) * y;
    n += 1;
    return w >= 1 ? y : m / (1 - w ** n);
  });
}
