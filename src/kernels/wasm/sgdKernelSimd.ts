import { sgdKernelInPlace, type SgdKernelHyper } from '../sgdKernel';
import type { InPlaceOutput } from '../InPlaceOutput';
import { simdKernelsFor } from './simdKernels';

/**
 * `sgdKernelInPlace` in WebAssembly SIMD (simdKernels.wat, 4 lanes of float32), when there is a
 * momentum buffer already (μ ≠ 0, not `fresh`) and every array lives in one SIMD arena
 * (`simdArena`); otherwise `sgdKernelInPlace` itself. Same signature, same results to float32
 * rounding (the SIMD kernel rounds every operation to float32):
 *
 *   g' = g + λ·x;  t = μ·t + (1 − τ)·g';  u = −η·(g' + μ·t (nesterov) | t);  next = x + u
 *
 * Any length: the kernel takes the first n − n mod 4 values, `sgdKernelInPlace` the last n mod 4.
 * Returns 0 when every next value is finite, NaN otherwise.
 *
 * @example
 * sgdKernelSimd(g, x, trace, false, hyper, { update, next }); // arrays from simdArena's regions
 */
export function sgdKernelSimd(
  g: Float32Array,
  x: Float32Array,
  trace: Float32Array | null,
  fresh: boolean,
  h: SgdKernelHyper,
  out: InPlaceOutput,
): number {
  const simd = h.momentum !== 0 && !fresh && trace !== null ? simdKernelsFor([g, x, trace, out.update, out.next]) : undefined;
  if (simd === undefined) return sgdKernelInPlace(g, x, trace, fresh, h, out);
  const n4 = g.length & ~3;
  const check = simd.sgdMomentum(
    n4,
    g.byteOffset,
    x.byteOffset,
    trace!.byteOffset,
    out.update.byteOffset,
    out.next.byteOffset,
    h.momentum,
    1 - h.dampening,
    -h.lr,
    h.weightDecay,
    h.nesterov ? 1 : 0,
  );
  if (n4 === g.length) return check;
  const tail = (a: Float32Array) => a.subarray(n4);
  return check + sgdKernelInPlace(tail(g), tail(x), tail(trace!), false, h, { update: tail(out.update), next: tail(out.next) });
}
