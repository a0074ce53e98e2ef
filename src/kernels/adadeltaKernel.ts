import { decayInput } from './decayInput';
import type { InPlaceOutput } from './InPlaceOutput';

/** Hyperparameters of one fused AdaDelta update: the values in force at this step. */
export interface AdadeltaKernelHyper {
  /** η */
  readonly lr: number;
  /** ρ */
  readonly rho: number;
  /** ε */
  readonly eps: number;
  /** λ (L2, added to the gradient) */
  readonly weightDecay: number;
}

/** One parameter's AdaDelta state: running averages of g² and of the squared steps. */
export interface AdadeltaKernelState {
  readonly square: Float32Array;
  readonly delta: Float32Array;
}

/** One parameter's update and new state. */
export interface AdadeltaKernelResult extends AdadeltaKernelState {
  readonly update: Float32Array;
}

/**
 * PyTorch's Adadelta on one parameter in one pass — the arithmetic of
 * `chain(addDecayedWeights(λ), scaleByAdadelta({ rho, eps }), scaleByLearningRate(η))`:
 *
 *   g'_i = g_i + λ·x_i
 *   s_i  = ρ·s_i + (1 − ρ)·g'_i²
 *   d_i  = √(Δ_i + ε)/√(s_i + ε) · g'_i
 *   Δ_i  = ρ·Δ_i + (1 − ρ)·d_i²
 *   u_i  = −η·d_i
 *
 * Pure: reads `g`, `x` (only when λ ≠ 0) and the state, returns new arrays — `adadeltaKernelInPlace`
 * on copies of the state (`g` stands in for an absent `x`: with λ = 0 the update does not read it).
 *
 * @example
 * adadeltaKernel(Float32Array.of(1), undefined, { square: Float32Array.of(0), delta: Float32Array.of(0) },
 *   { lr: 1, rho: 0.9, eps: 1e-6, weightDecay: 0 });
 * // u = −√1e-6/√(0.1 + 1e-6)
 */
export function adadeltaKernel(g: Float32Array, x: Float32Array | undefined, s: AdadeltaKernelState, h: AdadeltaKernelHyper): AdadeltaKernelResult {
  const n = g.length;
  const state = { square: s.square.slice(), delta: s.delta.slice() };
  const update = new Float32Array(n);
  adadeltaKernelInPlace(g, decayInput(x, g, h.weightDecay), state, h, { update, next: new Float32Array(n) });
  return { update, ...state };
}

/**
 * `adadeltaKernel` in place, for state its caller owns: the same arithmetic (bit-identical
 * results), in one pass that also adds the update to x:
 *
 *   square_i, delta_i ← their new values, written into `s`'s arrays
 *   out.update[i] = u_i,   out.next[i] = fl32(x_i + u_i),   out.updateSq = Σ u_i²,   out.gradSq = Σ g_i²
 *
 * 1. Allocates nothing; `x` and `g` are only read.
 * 2. Returns 0 when every x_i + u_i is finite, NaN otherwise (see `InPlaceOutput`).
 *
 * @example
 * const s = { square: Float32Array.of(0), delta: Float32Array.of(0) };
 * const out = { update: new Float32Array(1), next: new Float32Array(1) };
 * adadeltaKernelInPlace(Float32Array.of(1), Float32Array.of(1), s, { lr: 1, rho: 0, eps: 1, weightDecay: 0 }, out);
 * // s = 1, d = √1/√2·1 ≈ 0.7071: 0; out.update ≈ [−0.7071], s.delta = [0.5]
 */
export function adadeltaKernelInPlace(g: Float32Array, x: Float32Array, s: AdadeltaKernelState, h: AdadeltaKernelHyper, out: InPlaceOutput): number {
  const n = g.length;
  const lambda = h.weightDecay;
  const rho = h.rho;
  const rest = 1 - rho;
  const eps = h.eps;
  const eta = -h.lr;
  const { square, delta } = s;
  const { update, next } = out;
  let check = 0;
  let sq = 0;
  let gsq = 0;
  for (let i = 0; i < n; i++) {
    const xi = x[i];
    const raw = g[i];
    gsq += raw * raw;
    const gi = lambda === 0 ? raw : raw + lambda * xi;
    const si = rho * square[i] + rest * gi * gi;
    const di = (Math.sqrt(delta[i] + eps) / Math.sqrt(si + eps)) * gi;
    square[i] = si;
    delta[i] = rho * delta[i] + rest * di * di;
    const ui = Math.fround(eta * di);
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
