/**
 * A parameter after its update, in one pass:
 *
 *   x'_i = x_i + u_i
 *
 * Pure: reads `x` and `u`, returns a new array.
 *
 * @example
 * addKernel(Float32Array.of(1, 2), Float32Array.of(0.5, -1)); // Float32Array [1.5, 1]
 */
export function addKernel(x: Float32Array, u: Float32Array): Float32Array {
  const n = x.length;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = x[i] + u[i];
  return out;
}
