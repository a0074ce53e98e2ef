import { decayInput } from './decayInput';
import type { InPlaceOutput } from './InPlaceOutput';

/** Hyperparameters of one fused Adam update: the values in force, and t, the parameter's 1-based update count. */
export interface AdamKernelHyper {
  /** η */
  readonly lr: number;
  /** β1 */
  readonly beta1: number;
  /** β2 */
  readonly beta2: number;
  /** ε */
  readonly eps: number;
  /** λ: L2 added to the gradient, or (decoupled) AdamW's decay added to the scaled step. */
  readonly weightDecay: number;
  /** AdamW: λ·x is added after the scaling instead of to the gradient. */
  readonly decoupled: boolean;
  readonly t: number;
}

/** One parameter's Adam state: the moments m, v and, with AMSGrad, the running maximum of v. */
export interface AdamKernelState {
  readonly m: Float32Array;
  readonly v: Float32Array;
  /** `null` unless AMSGrad. */
  readonly vMax: Float32Array | null;
}

/** One parameter's update and new state. */
export interface AdamKernelResult extends AdamKernelState {
  readonly update: Float32Array;
}

/**
 * PyTorch's Adam / AdamW on one parameter in one pass — the arithmetic of
 * `chain(addDecayedWeights(λ), scaleByAdam({ beta1, beta2, eps, amsgrad }), scaleByLearningRate(η))`
 * (decoupled: `chain(scaleByAdam(…), addDecayedWeights(λ), scaleByLearningRate(η))`):
 *
 *   g'_i = g_i + λ·x_i                                        (not decoupled)
 *   m_i  = β1·m_i + (1 − β1)·g'_i,   v_i = β2·v_i + (1 − β2)·g'_i²
 *   v̂_i  = max(v̂_i, v_i) (AMSGrad: `vMax` given)   |   v_i
 *   d_i  = (m_i/(1 − β1^t)) / (√v̂_i/√(1 − β2^t) + ε)   (+ λ·x_i when decoupled)
 *   u_i  = −η·d_i
 *
 * Pure: reads `g`, `x` (only when λ ≠ 0) and the state, returns new arrays — `adamKernelInPlace`
 * on copies of the state (`g` stands in for an absent `x`: with λ = 0 the update does not read it).
 *
 * @example
 * adamKernel(Float32Array.of(2), undefined, { m: Float32Array.of(0), v: Float32Array.of(0), vMax: null },
 *   { lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 0, weightDecay: 0, decoupled: false, t: 1 });
 * // m̂ = 2, √v̂ = 2: u = −0.1
 */
export function adamKernel(g: Float32Array, x: Float32Array | undefined, s: AdamKernelState, h: AdamKernelHyper): AdamKernelResult {
  const n = g.length;
  const state = { m: s.m.slice(), v: s.v.slice(), vMax: s.vMax && s.vMax.slice() };
  const update = new Float32Array(n);
  adamKernelInPlace(g, decayInput(x, g, h.weightDecay), state, h, { update, next: new Float32Array(n) });
  return { update, ...state };
}

/**
 * `adamKernel` in place, for state its caller owns: the same arithmetic in float64 with one
 * rounding per stored value, in one pass that also adds the update to x. The bias corrections are
 * folded into constants, r = √(1 − β2^t)/(1 − β1^t), k = −η·r and ε̂ = ε·√(1 − β2^t), so that a
 * value takes one division and one square root where the chain takes three divisions:
 *
 *   m_i, v_i (and v̂_i with AMSGrad) ← their new values, written into `s`'s arrays
 *   u_i = fl32(k·m_i/(√v̂_i + ε̂))   (decoupled: fl32(−η·(r·m_i/(√v̂_i + ε̂) + λ·x_i)))
 *   out.update[i] = u_i,   out.next[i] = fl32(x_i + u_i),   out.updateSq = Σ u_i²,   out.gradSq = Σ g_i²
 *
 * which equals the chain's (m_i/(1 − β1^t))/(√v̂_i/√(1 − β2^t) + ε) up to float64 rounding
 * (~1e-16 relative before the float32 rounding of u_i).
 *
 * 1. Allocates nothing; `x` and `g` are only read.
 * 2. Returns 0 when every x_i + u_i is finite, NaN otherwise (see `InPlaceOutput`); the moments
 *    are advanced either way (the caller decides whether to assign `out.next`).
 *
 * @example
 * const s = { m: Float32Array.of(0), v: Float32Array.of(0), vMax: null };
 * const out = { update: new Float32Array(1), next: new Float32Array(1) };
 * adamKernelInPlace(Float32Array.of(2), Float32Array.of(1), s, { lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 0, weightDecay: 0, decoupled: false, t: 1 }, out);
 * // 0; out.update = [−0.1], out.next = [0.9], out.updateSq = 0.01, s.m = [0.2], s.v = [0.004]
 */
export function adamKernelInPlace(g: Float32Array, x: Float32Array, s: AdamKernelState, h: AdamKernelHyper, out: InPlaceOutput): number {
  const n = g.length;
  const coupled = h.decoupled ? 0 : h.weightDecay;
  const decoupled = h.decoupled ? h.weightDecay : 0;
  const b1 = h.beta1;
  const c1 = 1 - b1;
  const b2 = h.beta2;
  const c2 = 1 - b2;
  const rootBc2 = Math.sqrt(1 - b2 ** h.t);
  // d_i = m_i·r/(√v̂_i + ε̂) = (m_i/(1 − β1^t))/(√v̂_i/√(1 − β2^t) + ε)
  const r = rootBc2 / (1 - b1 ** h.t);
  const epsHat = h.eps * rootBc2;
  const eta = -h.lr;
  const k = eta * r;
  const { m, v, vMax } = s;
  const { update, next } = out;
  let check = 0;
  let sq = 0;
  let gsq = 0;
  // Values [0, done) taken by the loop of the common case, [done, n) by the general loop below.
  let done = 0;
  if (coupled === 0 && decoupled === 0 && vMax === null) {
    // The common case (no weight decay, no AMSGrad): the general loop's arithmetic without its
    // per-value branches on decay and AMSGrad, which V8 does not hoist, two values per iteration
    // (one sum per accumulator for both). One branch stays, on `lean` (u not stored when `update`
    // is `next`, `InPlaceOutput`, 1): the same every iteration, so predicted, and a pair's
    // division and square roots dwarf it (sgd's loops, much cheaper per value, are split on it
    // instead). An odd last value is the general loop's.
    done = n - (n & 1);
    const lean = update === next;
    for (let i = 0; i < done; i += 2) {
      const g0 = g[i];
      const g1 = g[i + 1];
      const m0 = b1 * m[i] + c1 * g0;
      const m1 = b1 * m[i + 1] + c1 * g1;
      const v0 = b2 * v[i] + c2 * g0 * g0;
      const v1 = b2 * v[i + 1] + c2 * g1 * g1;
      m[i] = m0;
      m[i + 1] = m1;
      v[i] = v0;
      v[i + 1] = v1;
      const u0 = Math.fround((k * m0) / (Math.sqrt(v0) + epsHat));
      const u1 = Math.fround((k * m1) / (Math.sqrt(v1) + epsHat));
      if (!lean) {
        update[i] = u0;
        update[i + 1] = u1;
      }
      const x0 = Math.fround(x[i] + u0);
      const x1 = Math.fround(x[i + 1] + u1);
      next[i] = x0;
      next[i + 1] = x1;
      gsq += g0 * g0 + g1 * g1;
      sq += u0 * u0 + u1 * u1;
      check += x0 + x1;
    }
  }
  for (let i = done; i < n; i++) {
    const xi = x[i];
    const raw = g[i];
    gsq += raw * raw;
    const gi = coupled === 0 ? raw : raw + coupled * xi;
    const mi = b1 * m[i] + c1 * gi;
    const vi = b2 * v[i] + c2 * gi * gi;
    m[i] = mi;
    v[i] = vi;
    let vHat = vi;
    if (vMax !== null) {
      vHat = Math.max(vMax[i], vi);
      vMax[i] = vHat;
    }
    const ui = Math.fround(decoupled === 0 ? (k * mi) / (Math.sqrt(vHat) + epsHat) : eta * ((r * mi) / (Math.sqrt(vHat) + epsHat) + decoupled * xi));
    update[i] = ui;
    sq += ui * ui;
    const xn = Math.fround(xi + ui);
    next[i] = xn;
    check += xn;
  }
  out.updateSq = sq;
  out.gradSq = gsq;
  return check - check;
}
