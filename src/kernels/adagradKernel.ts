import { decayInput } from './decayInput';
import type { InPlaceOutput } from './InPlaceOutput';

/** Hyperparameters of one fused AdaGrad update: the values in force, and t, the parameter's 1-based update count. */
export interface AdagradKernelHyper {
  /** η */
  readonly lr: number;
  /** δ */
  readonly lrDecay: number;
  /** ε */
  readonly eps: number;
  /** ε inside the root (the book's form) instead of PyTorch's √s + ε. */
  readonly epsInSqrt: boolean;
  /** λ (L2, added to the gradient) */
  readonly weightDecay: number;
  readonly t: number;
}

/** One parameter's update and new sum of squares. */
export interface AdagradKernelResult {
  readonly update: Float32Array;
  readonly sum: Float32Array;
}

/**
 * PyTorch's AdaGrad on one parameter in one pass — the arithmetic of
 * `chain(addDecayedWeights(λ), scaleByRss({ lrDecay: δ, eps: ε, epsInSqrt }), scaleByLearningRate(η))`:
 *
 *   g'_i = g_i + λ·x_i
 *   s_i  = s_i + g'_i²
 *   u_i  = −η/(1 + (t − 1)·δ) · g'_i/(√s_i + ε)        (epsInSqrt: g'_i/√(s_i + ε))
 *
 * Pure: reads `g`, `x` (only when λ ≠ 0) and `sum`, returns new arrays — `adagradKernelInPlace`
 * on a copy of `sum` (`g` stands in for an absent `x`: with λ = 0 the update does not read it).
 *
 * @example
 * adagradKernel(Float32Array.of(3), undefined, Float32Array.of(0), { lr: 1, lrDecay: 0, eps: 0, epsInSqrt: false, weightDecay: 0, t: 1 });
 * // s = 9, u = −3/√9 = −1
 */
export function adagradKernel(g: Float32Array, x: Float32Array | undefined, sum: Float32Array, h: AdagradKernelHyper): AdagradKernelResult {
  const n = g.length;
  const s = sum.slice();
  const update = new Float32Array(n);
  adagradKernelInPlace(g, decayInput(x, g, h.weightDecay), s, h, { update, next: new Float32Array(n) });
  return { update, sum: s };
}

/**
 * `adagradKernel` in place, for state its caller owns: the same arithmetic (bit-identical
 * results), in one pass that also adds the update to x:
 *
 *   sum_i ← sum_i + g'_i²  (written into `sum`)
 *   out.update[i] = u_i,   out.next[i] = fl32(x_i + u_i),   out.updateSq = Σ u_i²,   out.gradSq = Σ g_i²
 *
 * 1. Allocates nothing; `x` and `g` are only read.
 * 2. Returns 0 when every x_i + u_i is finite, NaN otherwise (see `InPlaceOutput`).
 *
 * @example
 * const sum = Float32Array.of(0);
 * const out = { update: new Float32Array(1), next: new Float32Array(1) };
 * adagradKernelInPlace(Float32Array.of(2), Float32Array.of(1), sum, { lr: 0.1, lrDecay: 0, eps: 0, epsInSqrt: false, weightDecay: 0, t: 1 }, out);
 * // 0; sum = [4], out.update = [−0.1], out.next = [0.9]
 */
export function adagradKernelInPlace(g: Float32Array, x: Float32Array, sum: Float32Array, h: AdagradKernelHyper, out: InPlaceOutput): number {
  const n = g.length;
  const lambda = h.weightDecay;
  const eps = h.eps;
  const scale = -h.lr / (1 + (h.t - 1) * h.lrDecay);
  const { update, next } = out;
  let check = 0;
  let sq = 0;
  let gsq = 0;
  for (let i = 0; i < n; i++) {
    const xi = x[i];
    const raw = g[i];
    gsq += raw * raw;
    const gi = lambda === 0 ? raw : raw + lambda * xi;
    const si = sum[i] + gi * gi;
    sum[i] = si;
    const ui = Math.fround((scale * gi) / (h.epsInSqrt ? Math.sqrt(si + eps) : Math.sqrt(si) + eps));
    update[i] = ui;
    sq += ui * ui;
    const xn = Math.fround(xi + ui);
    next[i] = xn;
    check += xn - xn;
  }
  out.updateSq = sq;
  out.gradSq = gsq;
  return check;
}
