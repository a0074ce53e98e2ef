/**
 * A parameter after its update, in one pass, checked as it is written:
 *
 *   x'_i = fl32(x_i + u_i)
 *
 * 1. Pure: reads `x` and `u`, writes into `out` (a new array unless given: a spare the caller
 *    recycles, distinct from `x` and `u`) and returns it.
 * 2. Returns `undefined` when some x'_i is not finite (NaN, or ±Infinity — also when the sum of
 *    two finite values overflows float32): the check rides on the same loop (x' − x' is 0 for
 *    finite values, NaN otherwise), no second pass.
 *
 * @example
 * addKernel(Float32Array.of(1, 2), Float32Array.of(0.5, -1)); // Float32Array [1.5, 1]
 * addKernel(Float32Array.of(3e38), Float32Array.of(3e38));     // undefined (overflows float32)
 */
export function addKernel(x: Float32Array, u: Float32Array, out: Float32Array = new Float32Array(x.length)): Float32Array | undefined {
  const n = x.length;
  let check = 0;
  for (let i = 0; i < n; i++) {
    const v = Math.fround(x[i] + u[i]);
    out[i] = v;
    check += v - v;
  }
  return check === 0 ? out : undefined;
}
