import { adamKernelInPlace, type AdamKernelHyper, type AdamKernelState } from '../adamKernel';
import type { InPlaceOutput } from '../InPlaceOutput';
import { simdKernelsFor } from './simdKernels';

/**
 * `adamKernelInPlace` in WebAssembly SIMD (simdKernels.wat, 4 lanes of float32), when every array
 * lives in one SIMD arena (`simdArena`) and there is no AMSGrad maximum; otherwise
 * `adamKernelInPlace` itself. Same signature, same results to float32 rounding (about 1e-7
 * relative: the SIMD kernel rounds every operation to float32, and multiplies by 1/(1 − β1^t)
 * and 1/√(1 − β2^t) instead of dividing):
 *
 *   g' = g + λ·x (not decoupled);  m = β1·m + (1 − β1)·g';  v = β2·v + (1 − β2)·g'²
 *   u  = −η·((m/(1 − β1^t)) / (√v/√(1 − β2^t) + ε) + λ·x (decoupled));  next = x + u
 *
 * Any length: the kernel takes the first n − n mod 4 values, `adamKernelInPlace` the last n mod 4.
 * Returns 0 when every next value is finite, NaN otherwise.
 *
 * @example
 * adamKernelSimd(g, x, { m, v, vMax: null }, hyper, { update, next }); // arrays from simdArena's regions
 */
export function adamKernelSimd(g: Float32Array, x: Float32Array, s: AdamKernelState, h: AdamKernelHyper, out: InPlaceOutput): number {
  const simd = s.vMax === null ? simdKernelsFor([g, x, s.m, s.v, out.update, out.next]) : undefined;
  if (simd === undefined) return adamKernelInPlace(g, x, s, h, out);
  const n4 = g.length & ~3;
  const check = simd.adam(
    n4,
    g.byteOffset,
    x.byteOffset,
    s.m.byteOffset,
    s.v.byteOffset,
    out.update.byteOffset,
    out.next.byteOffset,
    h.beta1,
    1 - h.beta1,
    h.beta2,
    1 - h.beta2,
    1 / (1 - h.beta1 ** h.t),
    1 / Math.sqrt(1 - h.beta2 ** h.t),
    h.eps,
    -h.lr,
    h.decoupled ? 0 : h.weightDecay,
    h.decoupled ? h.weightDecay : 0,
  );
  if (n4 === g.length) return check;
  const tail = (a: Float32Array) => a.subarray(n4);
  return check + adamKernelInPlace(tail(g), tail(x), { m: tail(s.m), v: tail(s.v), vMax: null }, h, { update: tail(out.update), next: tail(out.next) });
}
