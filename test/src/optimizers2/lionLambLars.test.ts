import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { disposeTree, lamb, lambDefaults, lars, larsDefaults, lion, lionDefaults, RxgradError, scaleByTrustRatio } from '../../../src/index';
import { expectClose } from '../helpers';
import { contract, fixedTrajectory } from './contract';

const sign = (v: number): number => (v > 0 ? 1 : v < 0 ? -1 : 0);
const norm = (v: number[]): number => Math.sqrt(v.reduce((a, b) => a + b * b, 0));

describe('lion (Chen et al. 2023, Optax defaults)', () => {
  it('defaults: Optax lion (b1 0.9, b2 0.99, weight_decay 1e-3); lr 1e-4', () => {
    expect(lionDefaults).toEqual({ lr: 1e-4, beta1: 0.9, beta2: 0.99, weightDecay: 1e-3 });
  });

  it('10 steps on fixed gradients match the published update rule', () => {
    // η 0.1, λ 0.1, β1 0.9, β2 0.99, x0 = [1, −2]; g1 = [1, −1], g2..g10 = [−0.05, 0.2].
    // Algorithm 2: c = β1·m + (1−β1)·g;  x ← x − η·(sign(c) + λ·x);  m ← β2·m + (1−β2)·g.
    // Step 1: c = 0.1·g1 = [0.1, −0.1] → sign [1, −1]; x1 = [1 − 0.1·(1 + 0.1), −2 − 0.1·(−1 − 0.2)] = [0.89, −1.88];
    //         m1 = 0.01·g1 = [0.01, −0.01].
    // Step 2: c = 0.9·[0.01, −0.01] + 0.1·[−0.05, 0.2] = [0.004, 0.011] → [1, 1] (the first coordinate keeps
    //         the sign of the momentum, not of g2); x2 = [0.89 − 0.1·1.089, −1.88 − 0.1·(1 − 0.188)] = [0.7811, −1.9612].
    // Later steps: the same recurrence in float64 below; m's first coordinate decays
    // (m_t = 0.99·m_{t−1} − 0.0005): c₁ = 0.004, 0.00346, …, 0.000332 at step 9, −0.000172 at step 10.
    const gs = [[1, -1], ...Array.from({ length: 9 }, () => [-0.05, 0.2])];
    const ref: number[][] = [];
    let x = [1, -2];
    let m = [0, 0];
    for (const g of gs) {
      const c = m.map((mi, i) => 0.9 * mi + 0.1 * g[i]);
      x = x.map((xi, i) => xi - 0.1 * (sign(c[i]) + 0.1 * xi));
      m = m.map((mi, i) => 0.99 * mi + 0.01 * g[i]);
      ref.push(x);
    }
    expectClose(ref[0], [0.89, -1.88], 'hand step 1', 1e-12);
    expectClose(ref[1], [0.7811, -1.9612], 'hand step 2', 1e-12);
    const got = fixedTrajectory(lion({ lr: 0.1, weightDecay: 0.1 }), [1, -2], gs);
    got.forEach((xt, t) => expectClose(xt, ref[t], `step ${t + 1}`));
    // c₁ turns negative at step 10: x₁ = 0.99·x₁ + 0.1 (up) instead of 0.99·x₁ − 0.1.
    expectClose([got[9][0]], [got[8][0] * 0.99 + 0.1], 'step 10 moves up', 1e-5);
  });

  contract('lion', () => lion({ lr: 0.01 }), { lr: 0.02, beta1: 0.8, beta2: 0.9, weightDecay: 0.1 });
});

describe('lamb (You et al. 2019, Optax defaults)', () => {
  it('defaults: Optax lamb (b1 0.9, b2 0.999, eps 1e-6, weight_decay 0); lr 1e-3', () => {
    expect(lambDefaults).toEqual({ lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-6, weightDecay: 0 });
  });

  it('10 steps on fixed gradients match the published update rule', () => {
    // η 0.1, λ 0.01, β1 0.9, β2 0.999, ε 1e-6, x0 = [1, −2, 0.5]; g_t = [0.5, −0.25·t, (−1)^t·0.3].
    // Algorithm 2 (per layer): m = β1m + (1−β1)g, v = β2v + (1−β2)g², d = m̂/(√v̂ + ε) + λx,
    // r = ‖x‖/‖d‖, x ← x − η·r·d.
    // Step 1: m̂ = g, √v̂ = |g|, so d = g/(|g| + ε) + λx ≈ [1, −1, −1] + 0.01·[1, −2, 0.5]
    //         = [1.01, −1.02, −0.995] (to 1e-5); ‖x0‖ = √5.25, ‖d‖ = √(1.0201 + 1.0404 + 0.990025) = √3.050525;
    //         x1 = x0 − 0.1·√(5.25/3.050525)·d = x0 − 0.131190·d = [0.867498, −1.866186, 0.630534] (to 1e-5).
    const gs = Array.from({ length: 10 }, (_, i) => [0.5, -0.25 * (i + 1), (-1) ** (i + 1) * 0.3]);
    const ref: number[][] = [];
    let x = [1, -2, 0.5];
    let m = [0, 0, 0];
    let v = [0, 0, 0];
    gs.forEach((g, i) => {
      const t = i + 1;
      m = m.map((mi, j) => 0.9 * mi + 0.1 * g[j]);
      v = v.map((vi, j) => 0.999 * vi + 0.001 * g[j] ** 2);
      const d = m.map((mi, j) => mi / (1 - 0.9 ** t) / (Math.sqrt(v[j] / (1 - 0.999 ** t)) + 1e-6) + 0.01 * x[j]);
      const r = norm(x) / norm(d);
      x = x.map((xi, j) => xi - 0.1 * r * d[j]);
      ref.push(x);
    });
    expectClose(ref[0], [0.867498, -1.866186, 0.630534], 'hand step 1', 1e-5);
    const got = fixedTrajectory(lamb({ lr: 0.1, weightDecay: 0.01 }), [1, -2, 0.5], gs);
    got.forEach((xt, t) => expectClose(xt, ref[t], `step ${t + 1}`));
  });

  it('scaleByTrustRatio: ratio 1 when ‖x‖ = 0 or ‖u‖ = 0 (Optax), and needs the parameters', () => {
    const t = scaleByTrustRatio();
    const zero = { w: tf.zeros([2]) };
    const u = { w: tf.tensor([3, 4]) };
    const r = t.update(u, t.init(zero), zero);
    expect(Array.from(r.updates.w.dataSync())).toEqual([3, 4]);
    expect(() => t.update(u, t.init(zero))).toThrow(RxgradError);
    expect(() => t.update(u, t.init(zero))).toThrow(/`params`/);
    disposeTree([zero, u, r]);
  });

  contract('lamb', () => lamb({ lr: 0.01, weightDecay: 0.01 }), { lr: 0.02, beta1: 0.8, beta2: 0.99, eps: 1e-4, weightDecay: 0.1, trustCoefficient: 0.5 });
});

describe('lars (You et al. 2017, Optax defaults)', () => {
  it('defaults: Optax lars (weight_decay 0, trust_coefficient 1e-3, eps 0, momentum 0.9, nesterov false); lr 1', () => {
    expect(larsDefaults).toEqual({ lr: 1, weightDecay: 0, trustCoefficient: 1e-3, trustEps: 0, momentum: 0.9, nesterov: false });
  });

  /** Algorithm 1 as Optax chains it: d = g + λx, r = κ‖x‖/(‖d‖ + ε), a = −η_t·r·d, v = μv + a (v1 = a), x += v | a + μv. */
  function reference(x0: number[], gs: number[][], lr: (t: number) => number, o: { wd: number; kappa: number; mu: number; nesterov: boolean }): number[][] {
    let x = x0;
    let v: number[] | null = null;
    return gs.map((g, i) => {
      const d = g.map((gj, j) => gj + o.wd * x[j]);
      const r = (o.kappa * norm(x)) / norm(d);
      const a = d.map((dj) => -lr(i + 1) * r * dj);
      v = v === null ? a : v.map((vj, j) => o.mu * vj + a[j]);
      const step = o.nesterov ? a.map((aj, j) => aj + o.mu * v![j]) : v;
      x = x.map((xj, j) => xj + step[j]);
      return x;
    });
  }

  it('10 steps on fixed gradients match the published update rule (momentum and Nesterov)', () => {
    // η 1, κ 1e-3, λ 0.1, μ 0.9, x0 = [3, 4] (‖x0‖ = 5); g_t = [1, −2 + 0.3·t].
    // Step 1: d = [1 + 0.3, −1.7 + 0.4] = [1.3, −1.3], ‖d‖ = 1.3·√2; r = 1e-3·5/(1.3√2) = 2.719641e-3;
    //         a = −r·d = [−3.535534e-3, 3.535534e-3] (= ∓5e-3/√2); v1 = a; x1 = [2.996464, 4.003536].
    // Nesterov: x1 = x0 + a + 0.9·a = x0 + 1.9·a = [2.993282, 4.006718].
    const gs = Array.from({ length: 10 }, (_, i) => [1, -2 + 0.3 * (i + 1)]);
    const o = { wd: 0.1, kappa: 1e-3, mu: 0.9 };
    const plain = reference([3, 4], gs, () => 1, { ...o, nesterov: false });
    const nest = reference([3, 4], gs, () => 1, { ...o, nesterov: true });
    expectClose(plain[0], [3 - 5e-3 / Math.SQRT2, 4 + 5e-3 / Math.SQRT2], 'hand step 1', 1e-12);
    expectClose(nest[0], [3 - 1.9 * 5e-3 / Math.SQRT2, 4 + 1.9 * 5e-3 / Math.SQRT2], 'hand step 1 (nesterov)', 1e-12);
    fixedTrajectory(lars({ weightDecay: 0.1 }), [3, 4], gs).forEach((xt, t) => expectClose(xt, plain[t], `step ${t + 1}`));
    fixedTrajectory(lars({ weightDecay: 0.1, nesterov: true }), [3, 4], gs).forEach((xt, t) => expectClose(xt, nest[t], `nesterov step ${t + 1}`));
  });

  it('the momentum runs after the learning rate (Optax): a schedule η_t = 1/t scales only the new term', () => {
    // v_t = μ·v_{t−1} − η_t·r_t·d_t: with η_t = 1/t the buffer keeps earlier steps at their own η.
    const gs = Array.from({ length: 10 }, (_, i) => [1, -2 + 0.3 * (i + 1)]);
    const ref = reference([3, 4], gs, (t) => 1 / t, { wd: 0.1, kappa: 1e-3, mu: 0.9, nesterov: false });
    fixedTrajectory(lars({ lr: (t) => 1 / t, weightDecay: 0.1 }), [3, 4], gs).forEach((xt, t) => expectClose(xt, ref[t], `step ${t + 1}`));
  });

  contract('lars', () => lars({ lr: 0.5, weightDecay: 0.01 }), { lr: 0.2, momentum: 0.5, weightDecay: 0.1, trustCoefficient: 0.01, trustEps: 1e-6 });
});
