import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import {
  adagrad,
  adam,
  addDecayedWeights,
  chain,
  clipByGlobalNorm,
  clipByValue,
  disposeReplaced,
  disposeTree,
  RxgradError,
  scaleByAdadelta,
  scaleByAdam,
  scaleByRms,
  scaleByRss,
  sgd,
  skipNonFinite,
  tensorsIn,
  trace,
  type Tensors,
  type Transform,
  type UpdateContext,
} from '../../src/index';
import { expectClose } from './helpers';

/** Feed scalar gradients `gs` to `t` on one parameter w (value `p`); the update values, in order. */
function run(t: Transform<any>, gs: number[], p = 0, ctx?: (step: number) => UpdateContext): { us: number[]; used: Record<string, number>[] } {
  const params = { w: tf.tensor1d([p]) };
  let s = t.init(params);
  const us: number[] = [];
  const used: Record<string, number>[] = [];
  gs.forEach((g, i) => {
    const grads = { w: tf.tensor1d([g]) };
    const r = t.update(grads, s, params, ctx?.(i + 1));
    us.push(r.updates.w.dataSync()[0]);
    used.push({ ...r.used });
    disposeReplaced(s, r.state);
    disposeTree([grads, r.updates]);
    s = r.state;
  });
  disposeTree([s, params]);
  return { us, used };
}

describe('trace (PyTorch SGD momentum)', () => {
  it('v_1 = g_1, then v_t = μ·v_{t-1} + g_t', () => {
    // μ = 0.9, g = 1, 1, 1: v = 1, 0.9 + 1 = 1.9, 1.71 + 1 = 2.71.
    expectClose(run(trace({ momentum: 0.9 }), [1, 1, 1]).us, [1, 1.9, 2.71], 'u');
  });
  it('dampening scales new gradients but not the first (PyTorch copies g_1)', () => {
    // μ = 0.9, τ = 0.5, g = 1, 1: v_1 = 1, v_2 = 0.9 + 0.5 = 1.4.
    expectClose(run(trace({ momentum: 0.9, dampening: 0.5 }), [1, 1]).us, [1, 1.4], 'u');
  });
  it('nesterov: u = g + μ·v', () => {
    // v_1 = 1 → u = 1 + 0.9 = 1.9; v_2 = 1.9 → u = 1 + 1.71 = 2.71.
    expectClose(run(trace({ momentum: 0.9, nesterov: true }), [1, 1]).us, [1.9, 2.71], 'u');
  });
  it('μ = 0 passes the gradient through and keeps no buffer', () => {
    const t = trace({ momentum: 0 });
    const p = { w: tf.tensor1d([0]) };
    const g = { w: tf.tensor1d([3]) };
    const s = t.init(p);
    const r = t.update(g, s, p);
    expect(r.updates.w.dataSync()[0]).toBe(3);
    expect(r.updates.w).not.toBe(g.w);
    expect(tensorsIn(r.state)).toHaveLength(0);
    disposeTree([p, g, r]);
  });
  it('a momentum streamed on the step overrides the option and is reported', () => {
    // Option μ = 0.5, ctx μ = 0.9: v = 1, 1.9.
    const { us, used } = run(trace({ momentum: 0.5 }), [1, 1], 0, () => ({ hyper: { momentum: 0.9 } }));
    expectClose(us, [1, 1.9], 'u');
    expect(used[1]).toEqual({ momentum: 0.9, dampening: 0 });
  });
});

describe('scaleByRss (AdaGrad)', () => {
  it('u = g/(√s + ε) with s accumulating g²', () => {
    // g = 3: s = 9, u = 3/3 = 1; g = 4: s = 25, u = 4/5 = 0.8.
    expectClose(run(scaleByRss(), [3, 4]).us, [1, 0.8], 'u');
  });
  it('epsInSqrt: u = g/√(s + ε)', () => {
    // ε = 16, g = 3: u = 3/√(9 + 16) = 0.6 (PyTorch's form would give 3/(3 + 16)).
    expectClose(run(scaleByRss({ eps: 16, epsInSqrt: true }), [3]).us, [0.6], 'u');
  });
  it('initialAccumulatorValue and lrDecay: u = g/(√s + ε)/(1 + (t − 1)·δ)', () => {
    // s_0 = 7, δ = 0.5: g = 3 → s = 16, u = 3/4; g = 3 → s = 25, u = 3/5/1.5 = 0.4.
    expectClose(run(scaleByRss({ initialAccumulatorValue: 7, lrDecay: 0.5 }), [3, 3]).us, [0.75, 0.4], 'u');
  });
});

describe('scaleByRms (RMSProp)', () => {
  it('u = g/(√s + ε), s = α·s + (1 − α)·g²', () => {
    // α = 0.5, g = 2: s = 2, u = 2/√2 = √2; g = 2: s = 1 + 2 = 3, u = 2/√3.
    expectClose(run(scaleByRms({ alpha: 0.5 }), [2, 2]).us, [Math.SQRT2, 2 / Math.sqrt(3)], 'u');
  });
  it('centered: divides by √(s − m²)', () => {
    // α = 0.5, g = 2: s = 2, m = 1, u = 2/√(2 − 1) = 2.
    expectClose(run(scaleByRms({ alpha: 0.5, centered: true }), [2]).us, [2], 'u');
  });
  it('epsInSqrt: the book form g/√(s + ε)', () => {
    // α = 0.5, ε = 2, g = 2: s = 2, u = 2/√4 = 1.
    expectClose(run(scaleByRms({ alpha: 0.5, eps: 2, epsInSqrt: true }), [2]).us, [1], 'u');
  });
});

describe('scaleByAdadelta', () => {
  it('g′ = √(Δx + ε)/√(s + ε)·g, Δx = ρΔx + (1 − ρ)g′²', () => {
    // ρ = 0.5, ε = 1, g = 1: s = 0.5, g′ = 1/√1.5; Δx = 0.5/1.5 = 1/3.
    // g = 1: s = 0.75, g′ = √(4/3)/√1.75.
    expectClose(run(scaleByAdadelta({ rho: 0.5, eps: 1 }), [1, 1]).us, [1 / Math.sqrt(1.5), Math.sqrt(4 / 3) / Math.sqrt(1.75)], 'u');
  });
});

describe('scaleByAdam', () => {
  it('the first update is m̂/(√v̂ + ε) = g/(|g| + ε)', () => {
    // g = 2: m = 0.2, v = 0.004, m̂ = 2, √v̂ = 2: u = 2/(2 + 1e-8).
    expectClose(run(scaleByAdam(), [2]).us, [1], 'u');
  });
  it('amsgrad divides by the running maximum of v', () => {
    // g = 2, 0: m_2 = 0.18, v_1 = 0.004, v_2 = 0.003996 < v_1, so v̂ = 0.004.
    // u_2 = (0.18/0.19) / (√0.004/√(1 − 0.999²) + 1e-8); without amsgrad √0.003996 replaces √0.004.
    const bc2 = 1 - 0.999 ** 2;
    expectClose(run(scaleByAdam({ amsgrad: true }), [2, 0]).us, [1, 0.18 / 0.19 / (Math.sqrt(0.004) / Math.sqrt(bc2) + 1e-8)], 'u');
    expectClose(run(scaleByAdam(), [2, 0]).us, [1, 0.18 / 0.19 / (Math.sqrt(0.003996) / Math.sqrt(bc2) + 1e-8)], 'u');
  });
  it('bias correction counts each parameter’s own updates (a late parameter starts at t = 1)', () => {
    const t = scaleByAdam();
    const p = { a: tf.tensor1d([0]), b: tf.tensor1d([0]) };
    let s = t.init(p);
    for (let i = 0; i < 3; i++) {
      const g = { a: tf.tensor1d([1]) };
      const r = t.update(g, s, p);
      disposeReplaced(s, r.state);
      disposeTree([g, r.updates]);
      s = r.state;
    }
    const g = { b: tf.tensor1d([2]) };
    const r = t.update(g, s, p);
    expectClose(r.updates.b.dataSync(), [1], 'b at its first update'); // g/(|g| + ε), as for t = 1
    expect(r.state.params.b.count).toBe(1);
    expect(r.state.params.a.count).toBe(3);
    disposeReplaced(s, r.state);
    disposeTree([g, r, p]);
  });
});

describe('addDecayedWeights', () => {
  it('u = g + λ·x', () => {
    // λ = 0.1, x = 2, g = 1: u = 1.2.
    expectClose(run(addDecayedWeights(0.1), [1], 2).us, [1.2], 'u');
  });
  it('λ = 0 passes through, needing no parameters', () => {
    const t = addDecayedWeights(0);
    const g = { w: tf.tensor1d([1]) };
    const r = t.update(g, t.init(g));
    expect(r.updates.w.dataSync()[0]).toBe(1);
    disposeTree([g, r]);
  });
  it('decoupled (AdamW) vs L2 (Adam) differ exactly by where λ·x enters', () => {
    // Adam with L2, step 1, x = 1, g = 0, λ = 0.5: g′ = 0.5, u = −η·g′/(|g′| + ε) ≈ −η.
    // AdamW: u = −η·(0/(0 + ε) + 0.5·1) = −0.5·η.
    expectClose(run(chain(addDecayedWeights(0.5), scaleByAdam()), [0], 1).us, [1], 'L2');
    expectClose(run(chain(scaleByAdam(), addDecayedWeights(0.5)), [0], 1).us, [0.5], 'decoupled');
  });
});

describe('clipByGlobalNorm and clipByValue', () => {
  it('rescales by maxNorm/(‖g‖ + 1e-6) when the global norm exceeds maxNorm, and reports it', () => {
    const t = clipByGlobalNorm(1);
    const g: Tensors = { a: tf.tensor1d([3]), b: tf.tensor1d([4]) };
    const r = t.update(g, t.init(g));
    // ‖g‖ = 5: c = 1/(5 + 1e-6); a = 3c, b = 4c.
    expectClose(r.updates.a.dataSync(), [3 / (5 + 1e-6)], 'a');
    expectClose(r.updates.b.dataSync(), [4 / (5 + 1e-6)], 'b');
    expect(r.info).toEqual({ clipped: 1 });
    expect(r.used).toEqual({ maxNorm: 1 });
    const r2 = t.update(g, r.state, undefined, { hyper: { maxNorm: 10 } });
    expect(Array.from(r2.updates.a.dataSync())).toEqual([3]);
    expect(r2.info).toEqual({ clipped: 0 });
    disposeTree([g, r, r2]);
  });
  it('clipByValue clamps each coordinate', () => {
    const t = clipByValue(-1, 1);
    const g = { w: tf.tensor1d([-3, 0.5, 2]) };
    const r = t.update(g, t.init(g));
    expect(Array.from(r.updates.w.dataSync())).toEqual([-1, 0.5, 1]);
    disposeTree([g, r]);
  });
  it('rejects bad bounds', () => {
    expect(() => clipByGlobalNorm(0)).toThrow('Expected `maxNorm` > 0, got 0');
    expect(() => clipByValue(1, 1)).toThrow('Expected `max` > min (1), got 1');
    expect(() => clipByValue(NaN, 1)).toThrow('Expected `min` a finite number, got NaN');
  });
});

describe('hyperparameters: options, schedules and streamed values', () => {
  it('a schedule is evaluated at ctx.step, or at the transform’s own count without a pipeline', () => {
    // lr = 0.1/t, g = 2: u_t = −0.2/t.
    const lr = (t: number) => 0.1 / t;
    expectClose(run(sgd({ lr }), [2, 2, 2]).us, [-0.2, -0.1, -0.2 / 3], 'own count');
    expectClose(run(sgd({ lr }), [2, 2], 0, (i) => ({ step: 10 * i })).us, [-0.02, -0.01], 'ctx.step');
  });
  it('ctx.hyper overrides the option and `used` reports what was applied', () => {
    const { us, used } = run(sgd({ lr: 0.1, momentum: 0.5 }), [2], 0, () => ({ hyper: { lr: 0.05 } }));
    expectClose(us, [-0.1], 'u'); // −0.05·2
    expect(used[0]).toEqual({ weightDecay: 0, momentum: 0.5, dampening: 0, lr: 0.05 });
  });
  it('AdaGrad’s lrDecay is a hyperparameter too', () => {
    // lr 1, δ streamed as 1, g = 3, 3: u_1 = −3/3 = −1, u_2 = −3/√18/(1 + 1).
    expectClose(run(adagrad({ lr: 1 }), [3, 3], 0, () => ({ hyper: { lrDecay: 1 } })).us, [-1, -3 / Math.sqrt(18) / 2], 'u');
  });
  it('every optimizer lists the hyperparameters it reads', () => {
    expect([...sgd().hyper].sort()).toEqual(['dampening', 'lr', 'momentum', 'weightDecay']);
    expect([...adam().hyper].sort()).toEqual(['beta1', 'beta2', 'eps', 'lr', 'weightDecay']);
  });
});

describe('skipNonFinite', () => {
  const cases: [string, number][] = [
    ['NaN', NaN],
    ['+Infinity', Infinity],
    ['-Infinity', -Infinity],
  ];
  for (const [what, bad] of cases) {
    it(`a ${what} gradient: zero update, inner state kept (same object), skip counted, nothing leaked`, () => {
      const opt = skipNonFinite(adam({ lr: 0.1 }));
      const p = { w: tf.tensor1d([1, 2]), v: tf.tensor1d([3]) };
      const s0 = opt.init(p);
      const g1 = { w: tf.tensor1d([0.5, -0.5]), v: tf.tensor1d([1]) };
      const r1 = opt.update(g1, s0, p);
      disposeReplaced(s0, r1.state);
      const before = tf.memory().numTensors;
      const gBad = { w: tf.tensor1d([0.5, bad]), v: tf.tensor1d([1]) };
      const r2 = opt.update(gBad, r1.state, p);
      expect(Array.from(r2.updates.w.dataSync())).toEqual([0, 0]);
      expect(Array.from(r2.updates.v.dataSync())).toEqual([0]);
      expect(r2.state.inner).toBe(r1.state.inner);
      expect(r2.state.skipped).toBe(1);
      expect(r2.info).toEqual({ skipped: 1 });
      expect(r2.used?.lr).toBe(0.1);
      // Only the two zero updates are new.
      expect(tf.memory().numTensors).toBe(before + 2 + 2);
      disposeTree([gBad, r2.updates]);
      disposeReplaced(r1.state, r2.state);
      // The next finite step is exactly the step that would have followed step 1.
      const g3 = { w: tf.tensor1d([0.25, 0.75]), v: tf.tensor1d([-1]) };
      const r3 = opt.update(g3, r2.state, p);
      const plain = adam({ lr: 0.1 });
      const q0 = plain.init(p);
      const q1 = plain.update(g1, q0, p);
      const q2 = plain.update(g3, q1.state, p);
      expect(Array.from(r3.updates.w.dataSync())).toEqual(Array.from(q2.updates.w.dataSync()));
      expect(r3.info).toEqual({ skipped: 0 });
      expect(r3.state.skipped).toBe(1);
      disposeTree([p, g1, r1.updates, g3, r3, r1.state, q0, q1, q2]);
    });
  }

  it('a finite gradient that the inner transform turns non-finite is skipped too', () => {
    // adagrad with ε = 0 and g = 0: u = 0/(√0 + 0) = NaN.
    const opt = skipNonFinite(adagrad({ lr: 0.1, eps: 0 }));
    const p = { w: tf.tensor1d([1]) };
    const s = opt.init(p);
    const g = { w: tf.tensor1d([0]) };
    const r = opt.update(g, s, p);
    expect(Array.from(r.updates.w.dataSync())).toEqual([0]);
    expect(r.state.inner).toBe(s.inner);
    expect(r.info).toEqual({ skipped: 1 });
    disposeTree([p, s, g, r.updates]);
  });

  it('an update that takes a parameter out of float32 range (x + u not finite) is skipped, given the parameters', () => {
    // sgd, lr 1e38, g = 1: u = −1e38 (finite); x = −3e38: x + u = −4e38 < −3.4028e38, so −Infinity in float32
    const opt = skipNonFinite(sgd({ lr: 1e38 }));
    const p = { w: tf.tensor1d([-3e38, 1]) };
    const s = opt.init(p);
    const g = { w: tf.tensor1d([1, 1]) };
    const r = opt.update(g, s, p);
    expect(Array.from(r.updates.w.dataSync())).toEqual([0, 0]);
    expect(r.state.inner).toBe(s.inner);
    expect(r.info).toEqual({ skipped: 1 });
    // without the parameters the sum cannot be checked: the finite update passes
    const blind = opt.update(g, s);
    expect(blind.info).toEqual({ skipped: 0 });
    disposeTree([p, s, g, r, blind]);
  });

  it('parameters are never corrupted over a run with NaN gradients every third step', () => {
    const opt = skipNonFinite(sgd({ lr: 0.1, momentum: 0.9 }));
    let x: tf.Tensor = tf.tensor1d([1, -1]);
    let s = opt.init({ x });
    let flat = 0;
    for (let t = 1; t <= 30; t++) {
      const g = { x: t % 3 === 0 ? tf.tensor1d([NaN, 1]) : x.mul(2) };
      const r = opt.update(g, s, { x });
      disposeReplaced(s, r.state);
      s = r.state;
      const next = x.add(r.updates.x);
      disposeTree([g, r.updates, x]);
      x = next;
      expect(Array.from(x.dataSync()).every(Number.isFinite)).toBe(true);
      if (t === 1) flat = tf.memory().numTensors; // the momentum buffer exists from step 1 on
      expect(tf.memory().numTensors).toBe(flat);
    }
    expect(s.skipped).toBe(10);
    disposeTree([s, x]);
  });

  it('rejects something that is not a transform', () => {
    expect(() => skipNonFinite({} as never)).toThrow(RxgradError);
  });
});
