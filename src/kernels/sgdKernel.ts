import { decayInput } from './decayInput';
import type { InPlaceOutput } from './InPlaceOutput';

/** Hyperparameters of one fused SGD update: the values in force at this step. */
export interface SgdKernelHyper {
  /** η */
  readonly lr: number;
  /** μ */
  readonly momentum: number;
  /** τ */
  readonly dampening: number;
  readonly nesterov: boolean;
  /** λ (L2, added to the gradient) */
  readonly weightDecay: number;
}

/** One parameter's update and new momentum buffer (`null`: the buffer is left as it was, μ = 0). */
export interface SgdKernelResult {
  readonly update: Float32Array;
  readonly trace: Float32Array | null;
}

/**
 * PyTorch's SGD on one parameter in one pass — the arithmetic of
 * `chain(addDecayedWeights(λ), trace({ momentum: μ, dampening: τ, nesterov }), scaleByLearningRate(η))`:
 *
 *   g'_i = g_i + λ·x_i
 *   v_i  = g'_i (no buffer yet: `trace` null)   |   μ·v_i + (1 − τ)·g'_i        (μ ≠ 0)
 *   d_i  = g'_i + μ·v_i (nesterov)   |   v_i (μ ≠ 0)   |   g'_i (μ = 0, buffer untouched)
 *   u_i  = −η·d_i
 *
 * Pure: reads `g`, `x` (only when λ ≠ 0) and `trace`, returns new arrays — `sgdKernelInPlace`
 * on a copy of `trace` (a new buffer when there is none yet; `g` stands in for an absent `x`:
 * with λ = 0 the update does not read it).
 *
 * @example
 * sgdKernel(Float32Array.of(1), undefined, Float32Array.of(2), { lr: 0.1, momentum: 0.9, dampening: 0, nesterov: false, weightDecay: 0 });
 * // v = 0.9·2 + 1 = 2.8, u = −0.28
 */
export function sgdKernel(g: Float32Array, x: Float32Array | undefined, trace: Float32Array | null, h: SgdKernelHyper): SgdKernelResult {
  const n = g.length;
  const fresh = trace === null;
  const v = h.momentum === 0 ? null : fresh ? new Float32Array(n) : trace.slice();
  const update = new Float32Array(n);
  sgdKernelInPlace(g, decayInput(x, g, h.weightDecay), v, fresh, h, { update, next: new Float32Array(n) });
  return { update, trace: v };
}

/**
 * `sgdKernel` in place, for state its caller owns: the same arithmetic (bit-identical results),
 * in one pass that also adds the update to x:
 *
 *   trace_i ← v_i (μ ≠ 0; with `fresh`, `trace` is a new buffer: v_i = g'_i, its contents unread)
 *   out.update[i] = u_i,   out.next[i] = fl32(x_i + u_i),   out.updateSq = Σ u_i²,   out.gradSq = Σ g_i²
 *
 * 1. Allocates nothing; `x` and `g` are only read; with μ = 0 `trace` may be `null`.
 * 2. Returns 0 when every x_i + u_i is finite, NaN otherwise (see `InPlaceOutput`).
 *
 * @example
 * const trace = Float32Array.of(2);
 * const out = { update: new Float32Array(1), next: new Float32Array(1) };
 * sgdKernelInPlace(Float32Array.of(1), Float32Array.of(1), trace, false, { lr: 0.1, momentum: 0.9, dampening: 0, nesterov: false, weightDecay: 0 }, out);
 * // 0; trace = [2.8], out.update = [−0.28], out.next = [0.72]
 */
export function sgdKernelInPlace(
  g: Float32Array,
  x: Float32Array,
  trace: Float32Array | null,
  fresh: boolean,
  h: SgdKernelHyper,
  out: InPlaceOutput,
): number {
  const n = g.length;
  const lambda = h.weightDecay;
  const mu = h.momentum;
  const keep = 1 - h.dampening;
  const eta = -h.lr;
  const nesterov = h.nesterov;
  const { update, next } = out;
  let check = 0;
  let sq = 0;
  let gsq = 0;
  // Values [0, done) taken by a loop of its own for a common case, [done, n) by the general loop below.
  let done = 0;
  // `update` is `next` (`InPlaceOutput`, 1): the common loops below without the store of u.
  const lean = update === next;
  if (lean && mu === 0 && lambda === 0) return sgdPlainInPlace(g, x, eta, out);
  if (mu !== 0 && !fresh && !nesterov && lambda === 0 && keep === 1) {
    // Momentum with PyTorch's defaults (no dampening, no decay): the general loop's arithmetic
    // (1·g_i = g_i exactly) without its per-value branches, which V8 does not hoist, two values
    // per iteration (one sum per accumulator for both: 20–30 % less time per value than one value
    // per iteration at 1e4–1e6, as the loop is bound by its float conversions and additions, not
    // by memory); an odd last value is the general loop's.
    done = n - (n & 1);
    const t = trace!;
    if (lean) {
      for (let i = 0; i < done; i += 2) {
        const g0 = g[i];
        const g1 = g[i + 1];
        const v0 = mu * t[i] + g0;
        const v1 = mu * t[i + 1] + g1;
        t[i] = v0;
        t[i + 1] = v1;
        const u0 = Math.fround(eta * v0);
        const u1 = Math.fround(eta * v1);
        const x0 = Math.fround(x[i] + u0);
        const x1 = Math.fround(x[i + 1] + u1);
        next[i] = x0;
        next[i + 1] = x1;
        gsq += g0 * g0 + g1 * g1;
        sq += u0 * u0 + u1 * u1;
        check += x0 + x1;
      }
    } else {
      for (let i = 0; i < done; i += 2) {
        const g0 = g[i];
        const g1 = g[i + 1];
        const v0 = mu * t[i] + g0;
        const v1 = mu * t[i + 1] + g1;
        t[i] = v0;
        t[i + 1] = v1;
        const u0 = Math.fround(eta * v0);
        const u1 = Math.fround(eta * v1);
        update[i] = u0;
        update[i + 1] = u1;
        const x0 = Math.fround(x[i] + u0);
        const x1 = Math.fround(x[i + 1] + u1);
        next[i] = x0;
        next[i + 1] = x1;
        gsq += g0 * g0 + g1 * g1;
        sq += u0 * u0 + u1 * u1;
        check += x0 + x1;
      }
    }
  } else if (mu === 0 && lambda === 0 && !lean) {
    // Plain SGD (μ = 0, no decay) keeping u: u_i = fl32(−η·g_i), in a loop of its own for the same
    // reason, two values per iteration as above (20 % less time per value at 100 values); without
    // u, `sgdPlainInPlace` (below, before the loops).
    done = n - (n & 1);
    for (let i = 0; i < done; i += 2) {
      const g0 = g[i];
      const g1 = g[i + 1];
      const u0 = Math.fround(eta * g0);
      const u1 = Math.fround(eta * g1);
      update[i] = u0;
      update[i + 1] = u1;
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
    const gi = lambda === 0 ? raw : raw + lambda * xi;
    let di = gi;
    if (mu !== 0) {
      const vi = fresh ? gi : mu * trace![i] + keep * gi;
      trace![i] = vi;
      di = nesterov ? gi + mu * vi : vi;
    }
    const ui = Math.fround(eta * di);
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

/**
 * Plain SGD in place without u (μ = 0, λ = 0, `out.update` is `out.next`): `sgdKernelInPlace`'s
 * arithmetic for that case (bit-identical; it calls this), two values per iteration, the odd last
 * one after:
 *
 *   u_i = fl32(η'·g_i)  (η' = −η),   out.next[i] = fl32(x_i + u_i),   out.updateSq = Σ u_i²,   out.gradSq = Σ g_i²
 *
 * Returns 0 when every x_i + u_i is finite, NaN otherwise (`InPlaceOutput`, 3). What a steady
 * lane of `sgd` without momentum runs (`SteadyLane`).
 *
 * @example
 * const next = new Float32Array(2);
 * const out = { update: next, next };
 * sgdPlainInPlace(Float32Array.of(1, -2), Float32Array.of(0, 0), -0.5, out); // 0; next = [−0.5, 1], out.updateSq = 1.25, out.gradSq = 5
 */
export function sgdPlainInPlace(g: Float32Array, x: Float32Array, eta: number, out: InPlaceOutput): number {
  const next = out.next;
  const n = g.length;
  const done = n - (n & 1);
  let check = 0;
  let sq = 0;
  let gsq = 0;
  for (let i = 0; i < done; i += 2) {
    const g0 = g[i];
    const g1 = g[i + 1];
    const u0 = Math.fround(eta * g0);
    const u1 = Math.fround(eta * g1);
    const x0 = Math.fround(x[i] + u0);
    const x1 = Math.fround(x[i + 1] + u1);
    next[i] = x0;
    next[i + 1] = x1;
    gsq += g0 * g0 + g1 * g1;
    sq += u0 * u0 + u1 * u1;
    check += x0 + x1;
  }
  if (done < n) {
    const gi = g[done];
    gsq += gi * gi;
    const ui = Math.fround(eta * gi);
    sq += ui * ui;
    const xn = Math.fround(x[done] + ui);
    next[done] = xn;
    check += xn;
  }
  out.updateSq = sq;
  out.gradSq = gsq;
  return check - check;
}
