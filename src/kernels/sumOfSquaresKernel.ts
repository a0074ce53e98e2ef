/**
 * The sum of squares of an array, accumulated in float64 (for L2 norms):
 *
 *   Σ_i v_i²
 *
 * @example
 * sumOfSquaresKernel(Float32Array.of(3, 4)); // 25
 */
export function sumOfSquaresKernel(v: Float32Array): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  return s;
}
