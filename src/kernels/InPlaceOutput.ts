/**
 * Where an in-place kernel (`adamKernelInPlace`, `sgdKernelInPlace`) writes what is not state:
 *
 *   update[i] = u_i,   next[i] = fl32(x_i + u_i)
 *
 * Both arrays have the parameter's length, are distinct from every input, and are overwritten
 * (never read). The kernel returns a check that is 0 when every next[i] is finite and NaN
 * otherwise (the sum of next[i] − next[i], as `addKernel`; or, one operation per value fewer,
 * S − S for S = Σ next[i] in float64, which cannot overflow for float32 terms), so the caller
 * can refuse the new parameter values before assigning anything.
 *
 * @example
 * const out: InPlaceOutput = { update: new Float32Array(3), next: new Float32Array(3) };
 */
export interface InPlaceOutput {
  readonly update: Float32Array;
  readonly next: Float32Array;
}
