import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import {
  adam,
  chain,
  clipByGlobalNorm,
  disposeReplaced,
  disposeTree,
  multiTransform,
  RxgradError,
  scheduleFreeAdamw,
  scheduleFreeAdamwDefaults,
  scheduleFreeEvalParams,
  scheduleFreeSgd,
  scheduleFreeSgdDefaults,
  type Transform,
} from '../../../src/index';
import { expectClose } from '../helpers';
import { contract } from './contract';

/** y (the trained parameters) and x (scheduleFreeEvalParams) after each step, from x0, fed the fixed gradients `gs`. */
function ys(opt: Transform<any>, x0: number[], gs: number[][]): { y: number[][]; x: number[][] } {
  let y: tf.Tensor = tf.tensor(x0);
  let state = opt.init({ w: y });
  const out = { y: [] as number[][], x: [] as number[][] };
  for (const gv of gs) {
    const g = tf.tensor(gv);
    const r = opt.update({ w: g }, state, { w: y });
    disposeReplaced(state, r.state);
    state = r.state;
    const next = y.add(r.updates.w);
    disposeTree([g, r.updates, y]);
    y = next;
    const x = scheduleFreeEvalParams(state, { w: y });
    out.y.push(Array.from(y.dataSync()));
    out.x.push(Array.from(x.w.dataSync()));
    disposeTree(x);
  }
  disposeTree([state, y]);
  return out;
}

/**
 * The paper's sequences in float64, written from Algorithm 1 (Defazio et al. 2024) with Optax's
 * weights: z_t = z_{t−1} + base_t(g_t, y_{t−1}); w_t = (max_{s≤t} γ_s)^p, c_t = w_t/Σw;
 * x_t = (1 − c_t)x_{t−1} + c_t z_t; y_t = β_t x_t + (1 − β_t) z_t. x and z are tracked directly
 * (the implementation recovers x from y and z).
 */
function reference(x0: number[], gs: number[][], lr: (t: number) => number, beta: (t: number) => number, base: (g: number[], y: number[], t: number, lr: number) => number[]) {
  let x = x0;
  let z = x0;
  let y = x0;
  let maxLr = 0;
  let sum = 0;
  const out = { y: [] as number[][], x: [] as number[][] };
  gs.forEach((g, i) => {
    const t = i + 1;
    maxLr = Math.max(maxLr, lr(t));
    const w = maxLr ** 2;
    sum += w;
    const c = w / sum;
    const u = base(g, y, t, lr(t));
    z = z.map((zj, j) => zj + u[j]);
    x = x.map((xj, j) => (1 - c) * xj + c * z[j]);
    y = x.map((xj, j) => beta(t) * xj + (1 - beta(t)) * z[j]);
    out.y.push(y);
    out.x.push(x);
  });
  return out;
}

const sgdBase = (g: number[], _y: number[], _t: number, lr: number): number[] => g.map((gj) => -lr * gj);

describe('scheduleFreeSgd (Defazio et al. 2024, Optax contrib defaults)', () => {
  it('defaults: Optax schedule_free_sgd (lr 1, b1 0.9, no weight decay, weight_lr_power 2)', () => {
    expect(scheduleFreeSgdDefaults).toEqual({ lr: 1, beta1: 0.9, weightDecay: 0, weightLrPower: 2 });
  });

  it('10 steps on fixed gradients: y follows the paper, scheduleFreeEvalParams gives x', () => {
    // γ 0.5 constant, β 0.9, x0 = y0 = z0 = 1; with a constant γ, c_t = γ²/(t·γ²) = 1/t.
    // Step 1 (g 1):  z1 = 1 − 0.5 = 0.5;   x1 = z1 = 0.5;            y1 = 0.9·0.5 + 0.1·0.5 = 0.5
    // Step 2 (g 2):  z2 = 0.5 − 1 = −0.5;  x2 = ½·0.5 + ½·(−0.5) = 0; y2 = 0.9·0 + 0.1·(−0.5) = −0.05
    // Step 3 (g −1): z3 = −0.5 + 0.5 = 0;  x3 = ⅔·0 + ⅓·0 = 0;        y3 = 0
    // Steps 4–10: the same recurrence (reference() above), g_t = 0.3·(t − 5).
    const gs = [[1], [2], [-1], ...Array.from({ length: 7 }, (_, i) => [0.3 * (i + 4 - 5)])];
    const ref = reference([1], gs, () => 0.5, () => 0.9, sgdBase);
    expectClose(ref.y.slice(0, 3).flat(), [0.5, -0.05, 0], 'hand y', 1e-12, 1e-15);
    expectClose(ref.x.slice(0, 3).flat(), [0.5, 0, 0], 'hand x', 1e-12, 1e-15);
    const got = ys(scheduleFreeSgd({ lr: 0.5 }), [1], gs);
    got.y.forEach((v, t) => expectClose(v, ref.y[t], `y step ${t + 1}`));
    got.x.forEach((v, t) => expectClose(v, ref.x[t], `x step ${t + 1}`));
  });

  it('a warmup (γ_t = min(1, t/4)·0.3) weights the average by max γ², and a β schedule changing mid-run keeps x exact', () => {
    // c_t = w_t/Σw with w_t = (max γ)²: 0.075², 0.15², 0.225², 0.3², 0.3², …; β 0.9 for t < 6, then 0.5:
    // y_6 is formed with 0.5, and x_6 is recovered from y_5 with the β (0.9) y_5 was formed with.
    const gs = Array.from({ length: 10 }, (_, i) => [Math.cos(i + 1), -0.5 + 0.1 * i]);
    const lr = (t: number): number => Math.min(1, t / 4) * 0.3;
    const beta = (t: number): number => (t < 6 ? 0.9 : 0.5);
    const ref = reference([0.2, -0.4], gs, lr, beta, sgdBase);
    const got = ys(scheduleFreeSgd({ lr, beta1: beta }), [0.2, -0.4], gs);
    got.y.forEach((v, t) => expectClose(v, ref.y[t], `y step ${t + 1}`));
    got.x.forEach((v, t) => expectClose(v, ref.x[t], `x step ${t + 1}`));
  });

  it('scheduleFreeEvalParams: finds the state inside a chain, rejects other states and unknown names', () => {
    const opt = chain(clipByGlobalNorm(10), scheduleFreeSgd({ lr: 0.1 }));
    const p = { w: tf.tensor([1, 2]) };
    const s = opt.init(p);
    const x = scheduleFreeEvalParams(s, p); // before any step x = y
    expect(Array.from(x.w.dataSync())).toEqual([1, 2]);
    const a = adam();
    const sa = a.init(p);
    expect(() => scheduleFreeEvalParams(sa, p)).toThrow(RxgradError);
    expect(() => scheduleFreeEvalParams(sa, p)).toThrow(/`state`/);
    const q = { v: tf.tensor([1]) };
    expect(() => scheduleFreeEvalParams(s, q)).toThrow(/`params\.v`/);
    disposeTree([p, s, x, sa, q]);
  });

  it('scheduleFreeEvalParams: finds the state in a multiTransform group; two of them are ambiguous', () => {
    const p = { w: tf.tensor([1, 2]) };
    const opt = multiTransform({ sf: scheduleFreeSgd({ lr: 0.1 }) }, () => 'sf');
    const s = opt.init(p);
    const g = { w: tf.tensor([1, -1]) };
    const r = opt.update(g, s, p);
    const y = p.w.add(r.updates.w);
    // Step 1: c = 1, so x1 = z1 = y1 = [1 − 0.1, 2 + 0.1].
    const x = scheduleFreeEvalParams(r.state, { w: y });
    expectClose(Array.from(x.w.dataSync()), [0.9, 2.1], 'x', 1e-6);
    expect(() => scheduleFreeEvalParams([s, s], p)).toThrow('got 2 of them');
    disposeTree([p, s, g, r, y, x]);
  });

  it('needs the parameters, naming the first gradient without one', () => {
    const opt = scheduleFreeSgd();
    const p = { w: tf.tensor([1]) };
    const s = opt.init(p);
    const g = { w: tf.tensor([1]) };
    expect(() => opt.update(g, s)).toThrow('`params.w`');
    disposeTree([p, s, g]);
  });

  contract('scheduleFreeSgd', () => scheduleFreeSgd({ lr: 0.1, weightDecay: 0.01 }), { lr: 0.05, beta1: 0.8, weightLrPower: 1, weightDecay: 0.1 });
});

describe('scheduleFreeAdamw (Defazio et al. 2024, Optax contrib defaults)', () => {
  it('defaults: Optax schedule_free_adamw (lr 0.0025, b1 0.9, b2 0.999, eps 1e-8, weight_decay 0, weight_lr_power 2)', () => {
    expect(scheduleFreeAdamwDefaults).toEqual({ lr: 0.0025, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, weightLrPower: 2 });
  });

  it('10 steps on fixed gradients: y follows the paper, scheduleFreeEvalParams gives x', () => {
    // γ 0.1, β1 0.9, β2 0.999, ε 1e-8, λ 0.01 (decoupled, at y), x0 = [1, −2].
    // base: v = β2v + (1−β2)g², z += −γ·(g/(√(v/(1 − β2^t)) + ε) + λ·y).
    // Step 1 (g = [0.5, −1]): √v̂ = |g|, z1 = [1 − 0.1·(1 + 0.01), −2 − 0.1·(−1 − 0.02)] = [0.899, −1.898];
    //         c1 = 1: x1 = z1, y1 = z1 = [0.899, −1.898] (to 1e-7, ε).
    const gs = Array.from({ length: 10 }, (_, i) => [0.5 * Math.cos(i), -1 + 0.15 * i]);
    let v = [0, 0];
    const adamwBase = (g: number[], y: number[], t: number, lr: number): number[] => {
      v = v.map((vj, j) => 0.999 * vj + 0.001 * g[j] ** 2);
      return g.map((gj, j) => -lr * (gj / (Math.sqrt(v[j] / (1 - 0.999 ** t)) + 1e-8) + 0.01 * y[j]));
    };
    const ref = reference([1, -2], gs, () => 0.1, () => 0.9, adamwBase);
    expectClose(ref.y[0], [0.899, -1.898], 'hand step 1', 1e-7);
    const got = ys(scheduleFreeAdamw({ lr: 0.1, weightDecay: 0.01 }), [1, -2], gs);
    got.y.forEach((yv, t) => expectClose(yv, ref.y[t], `y step ${t + 1}`));
    got.x.forEach((xv, t) => expectClose(xv, ref.x[t], `x step ${t + 1}`));
  });

  it("the step's beta1 is the interpolation's: Adam inside keeps β1 = 0", () => {
    const opt = scheduleFreeAdamw({ lr: 0.1 });
    const p = { w: tf.tensor([1, -2]) };
    const g = { w: tf.tensor([0.5, -1]) };
    const s = opt.init(p);
    const r = opt.update(g, s, p, { hyper: { beta1: 0.5 } });
    // Step 1 with β 0.5: x1 = z1 = y1 regardless of β; Adam with β1 = 0 gives z1 = x0 − 0.1·sign(g).
    expectClose(Array.from(r.updates.w.dataSync()), [-0.1, 0.1], 'update', 1e-6);
    expect(r.used!.beta1).toBe(0.5);
    disposeTree([p, g, s, r]);
  });

  contract('scheduleFreeAdamw', () => scheduleFreeAdamw({ lr: 0.01, weightDecay: 0.01 }), { lr: 0.05, beta1: 0.8, beta2: 0.99, eps: 1e-6, weightDecay: 0.1 });
});
