import { decayInput } from './decayInput';
import type { InPlaceOutput } from './InPlaceOutput';

/** Hyperparameters of one fused RMSProp update: the values in force at this step. */
export interface RmspropKernelHyper {
  /** η */
  readonly lr: number;
  /** α */
  readonly alpha: number;
  /** ε */
  readonly eps: number;
  /** ε inside the root (the book's form) instead of PyTorch's √s + ε. */
  readonly epsInSqrt: boolean;
  /** μ */
  readonly momentum: number;
  /** τ, the dampening of the momentum buffer (0 in `rmsprop`; a step may override it). */
  readonly dampening: number;
  /** λ (L2, added to the gradient) */
  readonly weightDecay: number;
}

/** One parameter's RMSProp state: running averages of g² and (centred) of g, and the momentum buffer. */
export interface RmspropKernelState {
  readonly square: Float32Array;
  /** `null` unless centred. */
  readonly mean: Float32Array | null;
  /** `null` before the first update with μ ≠ 0. */
  readonly trace: Float32Array | null;
}

/** One parameter's update and new state (`trace` null: the buffer is left as it was, μ = 0). */
export interface RmspropKernelResult extends RmspropKernelState {
  readonly update: Float32Array;
}

/**
 * PyTorch's RMSprop on one parameter in one pass — the arithmetic of
 * `chain(addDecayedWeights(λ), scaleByRms({ alpha, eps, epsInSqrt, centered }), trace({ momentum: μ, dampening: τ }), scaleByLearningRate(η))`:
 *
 *   g'_i = g_i + λ·x_i
 *   s_i  = α·s_i + (1 − α)·g'_i²
 *   m_i  = α·m_i + (1 − α)·g'_i                        (centred: `mean` given)
 *   d_i  = g'_i/(√(s_i − m_i²) + ε)                    (not centred: √s_i; epsInSqrt: √(… + ε))
 *   b_i  = d_i (no buffer yet)   |   μ·b_i + (1 − τ)·d_i        (μ ≠ 0; μ = 0: b_i = d_i, buffer untouched)
 *   u_i  = −η·b_i
 *
 * Pure: reads `g`, `x` (only when λ ≠ 0) and the state, returns new arrays — `rmspropKernelInPlace`
 * on copies of the state (a new buffer when there is none yet; `g` stands in for an absent `x`:
 * with λ = 0 the update does not read it).
 *
 * @example
 * rmspropKernel(Float32Array.of(1), undefined, { square: Float32Array.of(0), mean: null, trace: null },
 *   { lr: 1, alpha: 0.9, eps: 0, epsInSqrt: false, momentum: 0, dampening: 0, weightDecay: 0 });
 * // s = 0.1, u = −1/√0.1
 */
export function rmspropKernel(g: Float32Array, x: Float32Array | undefined, s: RmspropKernelState, h: RmspropKernelHyper): RmspropKernelResult {
  const n = g.length;
  const fresh = s.trace === null;
  const trace = h.momentum === 0 ? null : fresh ? new Float32Array(n) : s.trace!.slice();
  const state = { square: s.square.slice(), mean: s.mean && s.mean.slice(), trace };
  const update = new Float32Array(n);
  rmspropKernelInPlace(g, decayInput(x, g, h.weightDecay), state, fresh, h, { update, next: new Float32Array(n) });
  return { update, ...state };
}

/**
 * `rmspropKernel` in place, for state its caller owns: the same arithmetic (bit-identical
 * results), in one pass that also adds the update to x:
 *
 *   square_i, mean_i (centred) and trace_i (μ ≠ 0) ← their new values, written into `s`'s arrays
 *   (with `fresh`, `s.trace` is a new buffer: b_i = d_i, its contents unread)
 *   out.update[i] = u_i,   out.next[i] = fl32(x_i + u_i),   out.updateSq = Σ u_i²,   out.gradSq = Σ g_i²
 *
 * 1. Allocates nothing; `x` and `g` are only read; with μ = 0 `s.trace` is ignored.
 * 2. Returns 0 when every x_i + u_i is finite, NaN otherwise (see `InPlaceOutput`).
 *
 * @example
 * const s = { square: Float32Array.of(0), mean: null, trace: null };
 * const out = { update: new Float32Array(1), next: new Float32Array(1) };
 * rmspropKernelInPlace(Float32Array.of(2), Float32Array.of(1), s, false, { lr: 0.1, alpha: 0.75, eps: 0, epsInSqrt: false, momentum: 0, dampening: 0, weightDecay: 0 }, out);
 * // 0; s.square = [1], out.update = [−0.2], out.next = [0.8]
 */
export function rmspropKernelInPlace(g: Float32Array, x: Float32Array, s: RmspropKernelState, fresh: boolean, h: RmspropKernelHyper, out: InPlaceOutput): number {
  const n = g.length;
  const lambda = h.weightDecay;
  const alpha = h.alpha;
  const rest = 1 - alpha;
  const eps = h.eps;
  const mu = h.momentum;
  const keep = 1 - h.dampening;
  const eta = -h.lr;
  const { square, mean } = s;
  const trace = mu === 0 ? null : s.trace;
  const { update, next } = out;
  let check = 0;
  let sq = 0;
  let gsq = 0;
  for (let i = 0; i < n; i++) {
    const xi = x[i];
    const raw = g[i];
    gsq += raw * raw;
    const gi = lambda === 0 ? raw : raw + lambda * xi;
    const si = alpha * square[i] + rest * gi * gi;
    square[i] = si;
    let variance = si;
    if (mean !== null) {
      const mi = alpha * mean[i] + rest * gi;
      mean[i] = mi;
      variance = si - mi * mi;
    }
    const di = gi / (h.epsInSqrt ? Math.sqrt(variance + eps) : Math.sqrt(variance) + eps);
    let ui: number;
    if (trace === null) ui = Math.fround(eta * di);
    else {
      const bi = fresh ? di : mu * trace[i] + keep * di;
      trace[i] = bi;
      ui = Math.fround(eta * bi);
    }
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
