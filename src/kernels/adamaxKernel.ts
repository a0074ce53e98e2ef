import { decayInput } from './decayInput';
import type { InPlaceOutput } from './InPlaceOutput';

/** Hyperparameters of one fused Adamax update: the values in force, and t, the parameter's 1-based update count. */
export interface AdamaxKernelHyper {
  /** η */
  readonly lr: number;
  /** β1 */
  readonly beta1: number;
  /** β2 */
  readonly beta2: number;
  /** ε */
  readonly eps: number;
  /** λ (L2, added to the gradient) */
  readonly weightDecay: number;
  readonly t: number;
}

/** One parameter's Adamax state: the first moment and the exponentially weighted infinity norm. */
export interface AdamaxKernelState {
  readonly m: Float32Array;
  readonly norm: Float32Array;
}

/** One parameter's update and new state. */
export interface AdamaxKernelResult extends AdamaxKernelState {
  readonly update: Float32Array;
}

/**
 * PyTorch's Adamax on one parameter in one pass — the arithmetic of
 * `chain(addDecayedWeights(λ), scaleByAdamax({ beta1, beta2, eps }), scaleByLearningRate(η))`:
 *
 *   g'_i = g_i + λ·x_i
 *   m_i  = β1·m_i + (1 − β1)·g'_i
 *   n_i  = max(β2·n_i, |g'_i| + ε)
 *   u_i  = −η · m_i/n_i/(1 − β1^t)
 *
 * Pure: reads `g`, `x` (only when λ ≠ 0) and the state, returns new arrays — `adamaxKernelInPlace`
 * on copies of the state (`g` stands in for an absent `x`: with λ = 0 the update does not read it).
 *
 * @example
 * adamaxKernel(Float32Array.of(2), undefined, { m: Float32Array.of(0), norm: Float32Array.of(0) },
 *   { lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 0, weightDecay: 0, t: 1 });
 * // m = 0.2, n = 2: u = −0.1·0.2/2/0.1 = −0.1
 */
export function adamaxKernel(g: Float32Array, x: Float32Array | undefined, s: AdamaxKernelState, h: AdamaxKernelHyper): AdamaxKernelResult {
  const n = g.length;
  const state = { m: s.m.slice(), norm: s.norm.slice() };
  const update = new Float32Array(n);
  adamaxKernelInPlace(g, decayInput(x, g, h.weightDecay), state, h, { update, next: new Float32Array(n) });
  return { update, ...state };
}

/**
 * `adamaxKernel` in place, for state its caller owns: the same arithmetic (bit-identical
 * results), in one pass that also adds the update to x:
 *
 *   m_i, n_i ← their new values, written into `s`'s arrays
 *   out.update[i] = u_i,   out.next[i] = fl32(x_i + u_i),   out.updateSq = Σ u_i²,   out.gradSq = Σ g_i²
 *
 * 1. Allocates nothing; `x` and `g` are only read.
 * 2. Returns 0 when every x_i + u_i is finite, NaN otherwise (see `InPlaceOutput`).
 *
 * @example
 * const s = { m: Float32Array.of(0), norm: Float32Array.of(0) };
 * const out = { update: new Float32Array(1), next: new Float32Array(1) };
 * adamaxKernelInPlace(Float32Array.of(2), Float32Array.of(1), s, { lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 0, weightDecay: 0, t: 1 }, out);
 * // 0; s.m = [0.2], s.norm = [2], out.update = [−0.1], out.next = [0.9]
 */
export function adamaxKernelInPlace(g: Float32Array, x: Float32Array, s: AdamaxKernelState, h: AdamaxKernelHyper, out: InPlaceOutput): number {
  const n = g.length;
  const lambda = h.weightDecay;
  const b1 = h.beta1;
  const c1 = 1 - b1;
  const b2 = h.beta2;
  const bc1 = 1 - b1 ** h.t;
  const eps = h.eps;
  const eta = -h.lr;
  const { m, norm } = s;
  const { update, next } = out;
  let check = 0;
  let sq = 0;
  let gsq = 0;
  for (let i = 0; i < n; i++) {
    const xi = x[i];
    const raw = g[i];
    gsq += raw * raw;
    const gi = lambda === 0 ? raw : raw + lambda * xi;
    const mi = b1 * m[i] + c1 * gi;
    const ni = Math.max(b2 * norm[i], Math.abs(gi) + eps);
    m[i] = mi;
    norm[i] = ni;
    const ui = Math.fround((eta * (mi / ni)) / bc1);
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
