/**
 * Where an in-place kernel (`adamKernelInPlace`, `sgdKernelInPlace`, …) writes what is not state:
 *
 *   update[i] = u_i,   next[i] = fl32(x_i + u_i),   updateSq = Σ_i u_i²,   gradSq = Σ_i g_i²  (float64)
 *
 * 1. Both arrays have the parameter's length, are distinct from every input, and are
 *    overwritten (never read). `update` may be `next` itself when nobody reads u: then u_i is
 *    written and overwritten by x_i + u_i in the same iteration (no array of u is kept, no extra
 *    memory traffic), and only its norm survives, in `updateSq`.
 * 2. Every JavaScript in-place kernel sets `updateSq` (the squared L2 norm of u, accumulated in
 *    the same pass: finite exactly when every u_i is, since u_i² ≤ 1.2e77 cannot overflow
 *    float64) and `gradSq` (that of the gradient g as given, before any weight decay); the
 *    WebAssembly SIMD kernels leave both as they were.
 * 3. The kernel returns a check that is 0 when every next[i] is finite and NaN otherwise (the sum
 *    of next[i] − next[i], as `addKernel`; or, one operation per value fewer, S − S for
 *    S = Σ next[i] in float64, which cannot overflow for float32 terms), so the caller can refuse
 *    the new parameter values before assigning anything.
 *
 * @example
 * const out: InPlaceOutput = { update: new Float32Array(3), next: new Float32Array(3) };
 * sgdKernelInPlace(g, x, null, false, hyper, out); // out.updateSq = Σ u_i², out.gradSq = Σ g_i²
 * const lean: InPlaceOutput = { update: next, next, updateSq: 0, gradSq: 0 }; // u not kept, only its norm
 */
export interface InPlaceOutput {
  readonly update: Float32Array;
  readonly next: Float32Array;
  /** Σ u_i², written by the JavaScript kernels (see 2). */
  updateSq?: number;
  /** Σ g_i², written by the JavaScript kernels (see 2). */
  gradSq?: number;
}
