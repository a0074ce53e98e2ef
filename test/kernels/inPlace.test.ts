import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import {
  adam,
  adamKernel,
  adamKernelInPlace,
  addKernel,
  addUpdates,
  cloneState,
  disposeReplaced,
  disposeTree,
  ownValues,
  sgd,
  sgdKernel,
  sgdKernelInPlace,
  sgdPlainInPlace,
  type AdamKernelState,
  type InPlaceOutput,
  type Tensors,
} from '../../src/index';
import { hasInPlace, type InPlaceTransform } from '../../src/optimizers/fusedChain';
import { mulberry32 } from '../../streams/sources/mulberry32';
import { runOwned } from './runOwned';
import { airfoilNorms, withoutInPlace } from './airfoilRun';
import { torchReference } from './torchReference';
import { expectNoLeak } from '../helpers';
import { FUSED_CONFIGS, randomGrads, randomParams, withSubsets } from './configs';

/**
 * The in-place kernels do the pure kernels' arithmetic (float64, one rounding per stored value)
 * in the same order, so every stored value must be bit-identical to `pure kernel` + `addKernel`;
 * the pure kernels and fused optimizers are checked against PyTorch in conformance.test.ts and
 * agreement.test.ts, which carries over.
 */
function randomArray(n: number, rand: () => number, scale = 1): Float32Array {
  return Float32Array.from({ length: n }, () => (rand() * 2 - 1) * scale);
}

const N = 257;

describe('adamKernelInPlace equals adamKernel + addKernel bit for bit', () => {
  const cases = [
    { amsgrad: false, weightDecay: 0, decoupled: false },
    { amsgrad: true, weightDecay: 0.1, decoupled: false },
    { amsgrad: true, weightDecay: 0.01, decoupled: true },
  ];
  for (const c of cases) {
    it(`amsgrad ${c.amsgrad}, λ ${c.weightDecay}, decoupled ${c.decoupled}: 20 steps`, () => {
      const rand = mulberry32(3);
      const x = randomArray(N, rand, 5);
      let pure: AdamKernelState = { m: new Float32Array(N), v: new Float32Array(N), vMax: c.amsgrad ? new Float32Array(N) : null };
      const mine: AdamKernelState = { m: new Float32Array(N), v: new Float32Array(N), vMax: c.amsgrad ? new Float32Array(N) : null };
      let xPure: Float32Array = x.slice();
      let xMine: Float32Array = x.slice();
      for (let t = 1; t <= 20; t++) {
        const g = randomArray(N, rand, 10 ** (rand() * 4 - 2));
        const h = { lr: 0.05, beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: c.weightDecay, decoupled: c.decoupled, t };
        const r = adamKernel(g, xPure, pure, h);
        pure = r;
        const out = { update: new Float32Array(N), next: new Float32Array(N) };
        expect(adamKernelInPlace(g, xMine, mine, h, out)).toBe(0);
        expect(out.update).toEqual(r.update);
        expect(mine.m).toEqual(r.m);
        expect(mine.v).toEqual(r.v);
        expect(mine.vMax).toEqual(r.vMax);
        xPure = addKernel(xPure, r.update)!;
        expect(out.next).toEqual(xPure);
        xMine = out.next;
      }
    });
  }

  it('reports a non-finite x + u (an overflow of float32) with NaN', () => {
    // x = 3e38, u = −lr·m̂/(√v̂ + 0) = −lr·sign(g) = 3e38 with lr = −3e38: x + u = 6e38 > float32 max
    const s = { m: new Float32Array(1), v: new Float32Array(1), vMax: null };
    const out = { update: new Float32Array(1), next: new Float32Array(1) };
    const h = { lr: -3e38, beta1: 0.9, beta2: 0.999, eps: 0, weightDecay: 0, decoupled: false, t: 1 };
    expect(adamKernelInPlace(Float32Array.of(1), Float32Array.of(3e38), s, h, out)).toBeNaN();
  });

  it('reports it in either value of a pair and in the odd last value of its common loop, u kept or not', () => {
    // t = 1, ε = 1e-8: g_at = −1 gives m̂ = −1, √v̂ = 1, u_at = −η·(−1)/(1 + 1e-8) ≈ η = 1e38, and
    // x_at + u_at ≈ 4e38 > float32 max with x_at = 3e38 (2e38 + 1e38 = 3e38 stays finite); every
    // other value: g = 0, u = 0/(0 + ε̂) = 0.
    const h = { lr: 1e38, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, decoupled: false, t: 1 };
    for (const [n, at] of [[2, 0], [2, 1], [3, 0], [3, 1], [3, 2]]) {
      for (const lean of [false, true]) {
        for (const [xAt, finite] of [[3e38, false], [2e38, true]] as const) {
          const x = new Float32Array(n);
          const g = new Float32Array(n);
          x[at] = xAt;
          g[at] = -1;
          const s = { m: new Float32Array(n), v: new Float32Array(n), vMax: null };
          const next = new Float32Array(n);
          const out: InPlaceOutput = { update: lean ? next : new Float32Array(n), next };
          const check = adamKernelInPlace(g, x, s, h, out);
          if (finite) expect(check).toBe(0);
          else expect(check).toBeNaN();
        }
      }
    }
  });
});

describe('adamKernelInPlace without decay or AMSGrad (its loop of two values per iteration, an odd last value by the general loop)', () => {
  // PyTorch's Adam per value in float64, one rounding per stored value:
  //   m_i = β1·m_i + (1 − β1)·g_i,   v_i = β2·v_i + (1 − β2)·g_i²   (stored as fl32, exactly these expressions)
  //   u_i = fl32(−η·(m_i/(1 − β1^t))/(√v_i/√(1 − β2^t) + ε)),   next_i = fl32(x_i + u_i)
  // The kernel folds the bias corrections (float64 rounding, ~1e-16 relative before u's float32
  // rounding): u and next agree to float32 rounding (1e-6 relative), m and v bit for bit.
  const close = (a: ArrayLike<number>, b: ArrayLike<number>) => {
    for (let i = 0; i < b.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThanOrEqual(1e-6 * Math.abs(b[i]) + 1e-30);
  };
  for (const n of [1, 2, 3, 257]) {
    for (const lean of [false, true]) {
      it(`${n} value${n === 1 ? '' : 's'}, ${lean ? 'u not kept (update = next)' : 'u kept'}: 3 steps`, () => {
        const rand = mulberry32(10 + n);
        const s = { m: new Float32Array(n), v: new Float32Array(n), vMax: null };
        let x = randomArray(n, rand, 5);
        for (let t = 1; t <= 3; t++) {
          const g = randomArray(n, rand);
          const h = { lr: 0.05, beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0, decoupled: false, t };
          const m = Float32Array.from(s.m, (mi, i) => 0.9 * mi + (1 - 0.9) * g[i]);
          const v = Float32Array.from(s.v, (vi, i) => 0.99 * vi + (1 - 0.99) * g[i] * g[i]);
          const mExact = Array.from(s.m, (mi, i) => 0.9 * mi + (1 - 0.9) * g[i]);
          const vExact = Array.from(s.v, (vi, i) => 0.99 * vi + (1 - 0.99) * g[i] * g[i]);
          const u = mExact.map((mi, i) => Math.fround((-0.05 * (mi / (1 - 0.9 ** t))) / (Math.sqrt(vExact[i]) / Math.sqrt(1 - 0.99 ** t) + 1e-8)));
          const next = new Float32Array(n);
          const out: InPlaceOutput = { update: lean ? next : new Float32Array(n), next };
          expect(adamKernelInPlace(g, x, s, h, out)).toBe(0);
          expect(s.m).toEqual(m);
          expect(s.v).toEqual(v);
          if (!lean) close(out.update, u);
          close(next, Float32Array.from(x, (xi, i) => xi + u[i]));
          expect(out.updateSq).toBeCloseTo(u.reduce((a, ui) => a + ui * ui, 0), 10);
          expect(out.gradSq).toBeCloseTo(g.reduce((a, gi) => a + gi * gi, 0), 12);
          x = next;
        }
      });
    }
  }
});

describe('sgdKernelInPlace equals sgdKernel + addKernel bit for bit', () => {
  const cases = [
    { momentum: 0, dampening: 0, nesterov: false, weightDecay: 0 },
    { momentum: 0, dampening: 0, nesterov: false, weightDecay: 0.01 },
    { momentum: 0.9, dampening: 0.5, nesterov: false, weightDecay: 0 },
    { momentum: 0.9, dampening: 0, nesterov: true, weightDecay: 0.01 },
  ];
  for (const c of cases) {
    it(`μ ${c.momentum}, τ ${c.dampening}, nesterov ${c.nesterov}, λ ${c.weightDecay}: 20 steps from no buffer`, () => {
      const rand = mulberry32(5);
      let xPure: Float32Array = randomArray(N, rand, 5);
      let xMine: Float32Array = xPure.slice();
      let pureTrace: Float32Array | null = null;
      const mine = new Float32Array(N);
      for (let t = 1; t <= 20; t++) {
        const g = randomArray(N, rand);
        const h = { lr: 0.1, ...c };
        const r = sgdKernel(g, xPure, pureTrace, h);
        pureTrace = r.trace;
        const out = { update: new Float32Array(N), next: new Float32Array(N) };
        expect(sgdKernelInPlace(g, xMine, c.momentum === 0 ? null : mine, t === 1, h, out)).toBe(0);
        expect(out.update).toEqual(r.update);
        if (c.momentum !== 0) expect(mine).toEqual(r.trace);
        xPure = addKernel(xPure, r.update)!;
        expect(out.next).toEqual(xPure);
        xMine = out.next;
      }
    });
  }
});

describe("sgdKernelInPlace's common loops (two values per iteration, an odd last value by the general loop)", () => {
  // PyTorch's SGD, τ = 0, λ = 0, per value in float64 with one rounding per stored value:
  //   momentum μ = 0.9:  v_i = μ·v_i + g_i,   u_i = fl32(−η·v_i)   (`trace` stores fl32(v_i); u_i is computed from the unrounded v_i)
  //   plain (μ = 0):     u_i = fl32(−η·g_i)   (no buffer)
  //   next_i = fl32(x_i + u_i), and the norms Σu_i², Σg_i².
  for (const momentum of [0.9, 0]) {
    for (const n of [1, 2, 3, 257]) {
      for (const lean of [false, true]) {
        it(`${momentum === 0 ? 'plain' : 'momentum'}, ${n} value${n === 1 ? '' : 's'}, ${lean ? 'u not kept (update = next)' : 'u kept'}: 3 steps`, () => {
          const rand = mulberry32(n);
          const h = { lr: 0.1, momentum, dampening: 0, nesterov: false, weightDecay: 0 };
          const trace = momentum === 0 ? null : randomArray(n, rand);
          let x = randomArray(n, rand, 5);
          for (let t = 0; t < 3; t++) {
            const g = randomArray(n, rand);
            const v = Float64Array.from(g, (gi, i) => (trace === null ? gi : 0.9 * trace[i] + gi));
            const u = Array.from(v, (vi) => Math.fround(-0.1 * vi));
            const expected = Float32Array.from(x, (xi, i) => xi + u[i]);
            const next = new Float32Array(n);
            const out: InPlaceOutput = { update: lean ? next : new Float32Array(n), next };
            expect(sgdKernelInPlace(g, x, trace, false, h, out)).toBe(0);
            if (trace !== null) expect(trace).toEqual(Float32Array.from(v));
            if (!lean) expect(out.update).toEqual(Float32Array.from(u));
            expect(next).toEqual(expected);
            expect(out.updateSq).toBeCloseTo(u.reduce((s, ui) => s + ui * ui, 0), 12);
            expect(out.gradSq).toBeCloseTo(g.reduce((s, gi) => s + gi * gi, 0), 12);
            x = next;
          }
        });
      }
    }

    it(`${momentum === 0 ? 'plain' : 'momentum'}: refuses a non-finite x + u in either value of a pair and in the odd last value, u kept or not`, () => {
      const h = { lr: 1, momentum, dampening: 0, nesterov: false, weightDecay: 0 };
      for (const [n, at] of [[2, 0], [2, 1], [3, 0], [3, 2]]) {
        for (const lean of [false, true]) {
          // x_at = 3e38, g_at = −3e38, v_at = 0: u_at = 3e38 and x_at + u_at = 6e38 overflows float32.
          const x = new Float32Array(n);
          const g = new Float32Array(n);
          x[at] = 3e38;
          g[at] = -3e38;
          const next = new Float32Array(n);
          const out: InPlaceOutput = { update: lean ? next : new Float32Array(n), next };
          expect(sgdKernelInPlace(g, x, momentum === 0 ? null : new Float32Array(n), false, h, out)).toBeNaN();
        }
      }
    });
  }
});

const IN_PLACE = Object.entries(FUSED_CONFIGS).filter(([, make]) => hasInPlace(make(true)));

describe('updateInPlace (the state optimize owns) equals update bit for bit', () => {
  it('every fused optimizer (every variant) has it', () => {
    expect(IN_PLACE.map(([n]) => n)).toEqual([
      'sgd',
      'sgd momentum + dampening',
      'sgd nesterov + weight decay',
      'adagrad lrDecay + initial accumulator + weight decay',
      'adagrad (book)',
      'rmsprop',
      'rmsprop centered + momentum + weight decay',
      'rmsprop (book) + momentum',
      'adadelta + weight decay',
      'adam',
      'adam amsgrad + weight decay',
      'adamw amsgrad',
      'adamax + weight decay',
    ]);
  });

  const ref = torchReference;
  for (const [name, make] of IN_PLACE) {
    it(`${name}: random data (3 parameters, subsets) and the PyTorch fixture's gradients, 40 steps`, () => {
      const params = randomParams();
      expect(runOwned(make(true), true, params, withSubsets(randomGrads(params)), 40)).toEqual(runOwned(make(true), false, params, withSubsets(randomGrads(params)), 40));
      const fixture = { x: tf.tensor(ref.p0) };
      const g = (t: number): Tensors => ({ x: tf.tensor(ref.grads[t - 1]) });
      expect(runOwned(make(true), true, fixture, g, 40)).toEqual(runOwned(make(true), false, fixture, g, 40));
      disposeTree([params, fixture]);
    });
  }

  it('is not inherited by a wrapper spread from the transform (its own update would be bypassed)', () => {
    const opt = adam();
    expect(hasInPlace(opt)).toBe(true);
    expect(hasInPlace({ ...opt, update: opt.update })).toBe(false);
  });

  it('never writes into state another tensor shares (a cloneState copy), nor into the caller state', () => {
    const opt = adam({ lr: 0.1 }) as InPlaceTransform<any>;
    const params = { w: tf.variable(tf.tensor([1, 2, 3])) };
    const grads = { w: tf.tensor([1, -1, 0.5]) };
    const given = opt.init(params);
    const r0 = opt.update(grads, given, params, { step: 1 });
    tf.dispose(r0.updates);
    const keep = cloneState(r0.state);
    const before = JSON.stringify(keep, (_k, v) => (v instanceof tf.Tensor ? Array.from(v.dataSync()) : v));
    const mine = cloneState(keep);
    const r1 = opt.updateInPlace(grads, mine, params, { step: 2 });
    const r2 = opt.updateInPlace(grads, r1.state, params, { step: 3 });
    expect(JSON.stringify(keep, (_k, v) => (v instanceof tf.Tensor ? Array.from(v.dataSync()) : v))).toBe(before);
    disposeReplaced(mine, r1.state);
    disposeReplaced(r1.state, r2.state);
    disposeTree([given, r0.state, keep, r2.state, r1.updates, r2.updates, params, grads]);
  });

  it('recycles its arrays: after warm-up, 20 updates of a parameter use at most 4 distinct buffers', () => {
    const opt = sgd({ lr: 0.01, momentum: 0.9 }) as InPlaceTransform<any>;
    const params = { w: tf.variable(tf.randomNormal([1000], 0, 1, 'float32', 1)) };
    const grads = { w: tf.randomNormal([1000], 0, 1, 'float32', 2) };
    let state = opt.init(params);
    const buffers = new Set<ArrayBufferLike>();
    for (let t = 1; t <= 23; t++) {
      const r = opt.updateInPlace(grads, state, params, { step: t });
      disposeReplaced(state, r.state);
      state = r.state;
      addUpdates(params, r.updates);
      if (t > 3) buffers.add(r.updates.w.dataSync().buffer).add(params.w.dataSync().buffer);
      disposeTree(r.updates);
    }
    expect(buffers.size).toBeLessThanOrEqual(4);
    disposeTree([state, params, grads]);
  });

  it('a non-finite x + u fails in addUpdates naming the parameter, nothing assigned', () => {
    // b: x = 3e38, u = −3e38·(−1) = 3e38, x + u = 6e38 > float32's maximum (3.4e38); a: 1 − 3e38 is finite
    const opt = sgd({ lr: 3e38 }) as InPlaceTransform<any>;
    const params = { a: tf.variable(tf.tensor([1, 2])), b: tf.variable(tf.tensor([3e38, 1])) };
    const grads = { a: tf.tensor([1, 1]), b: tf.tensor([-1, -1]) };
    const state = opt.init(params);
    const r = opt.updateInPlace(grads, state, params, { step: 1 });
    expect(() => addUpdates(params, r.updates)).toThrow('params.b');
    expect(Array.from(params.a.dataSync())).toEqual([1, 2]);
    expect(Array.from(params.b.dataSync())).toEqual([3e38, 1].map(Math.fround));
    disposeTree([state, r.state, r.updates, params, grads]);
  });

  /** A variable that owns its storage (the tensor it was made from freed). */
  const owning = (values: number[]) => {
    const t = tf.tensor(values);
    const v = tf.variable(t);
    t.dispose();
    return v;
  };

  it('the same refusal where the parameters own their storage (x + u swapped in): nothing assigned', () => {
    // as above: b's x + u = 6e38 overflows float32; a (first, finite) is not assigned either
    const opt = sgd({ lr: 3e38 }) as InPlaceTransform<any>;
    const params = { a: owning([1, 2]), b: owning([3e38, 1]) };
    const grads = { a: tf.tensor([1, 1]), b: tf.tensor([-1, -1]) };
    const state = opt.init(params);
    const r = opt.updateInPlace(grads, state, params, { step: 1 });
    const a = ownValues(params.a);
    expect(() => addUpdates(params, r.updates)).toThrow('params.b');
    expect(ownValues(params.a)).toBe(a);
    expect(Array.from(params.a.dataSync())).toEqual([1, 2]);
    expect(Array.from(params.b.dataSync())).toEqual([3e38, 1].map(Math.fround));
    disposeTree([state, r.state, r.updates, params, grads]);
  });

  it('x + u becomes the storage of a parameter that owns it (same dataId, no tensor); a parameter sharing its storage is assigned, the sharer untouched', () => {
    // sgd, η = 0.5: u = −0.5·[2, 4] = [−1, −2]; x + u = [0, 0] for w = [1, 2], [2, 2] for s = [3, 4]
    const opt = sgd({ lr: 0.5 }) as InPlaceTransform<any>;
    const params = { w: owning([1, 2]), s: owning([3, 4]) };
    const sharer = params.s.clone();
    const grads = { w: tf.tensor([2, 4]), s: tf.tensor([2, 4]) };
    const state = opt.init(params);
    const ids = { w: params.w.dataId, s: params.s.dataId };
    const r = opt.updateInPlace(grads, state, params, { step: 1 });
    const before = tf.memory().numTensors;
    addUpdates(params, r.updates);
    expect(tf.memory().numTensors).toBe(before);
    expect(params.w.dataId).toBe(ids.w);
    expect(Array.from(params.w.dataSync())).toEqual([0, 0]);
    expect(params.s.dataId).not.toBe(ids.s);
    expect(Array.from(params.s.dataSync())).toEqual([2, 2]);
    expect(Array.from(sharer.dataSync())).toEqual([3, 4]);
    disposeTree([state, r.state, r.updates, params, grads, sharer]);
  });

  it('a plain tensor passed as a parameter (not a tf.Variable) is refused, naming it, before any parameter is written', () => {
    // sgd, η = 0.5: u = [−1, −2] for both, staged x + u = [0, 0]; `a` (a variable, first) and `w`
    // (a plain tensor, immutable, owning its storage) both keep [1, 2].
    const opt = sgd({ lr: 0.5 }) as InPlaceTransform<any>;
    const w = tf.tensor([1, 2]);
    const params = { a: owning([1, 2]), w } as unknown as Record<string, tf.Variable>;
    const grads = { a: tf.tensor([2, 4]), w: tf.tensor([2, 4]) };
    const state = opt.init(params);
    const r = opt.updateInPlace(grads, state, params, { step: 1 });
    expect(ownValues(w)).toBeDefined();
    const before = tf.memory().numTensors;
    expect(() => addUpdates(params, r.updates)).toThrow(/params\.w.*tf\.Variable/);
    expect(tf.memory().numTensors).toBe(before);
    expect(Array.from(params.a.dataSync())).toEqual([1, 2]);
    expect(Array.from(w.dataSync())).toEqual([1, 2]);
    disposeTree([state, r.state, r.updates, params, grads]);
  });

  it('x + u staged from values swapped out since (the same dataId) is not taken: addUpdates adds to the new values', () => {
    // Two updates staged from w = [1, 2] (u1 = −0.5·[2, 4] = [−1, −2], u2 = −0.5·[4, 2] = [−2, −1]);
    // u1 applied first (swapped in: w = [0, 0]); u2's sum [−1, 1] was made from the old values:
    // addUpdates adds u2 to [0, 0] instead: [−2, −1].
    const opt = sgd({ lr: 0.5 }) as InPlaceTransform<any>;
    const params = { w: owning([1, 2]) };
    const state = opt.init(params);
    const g1 = { w: tf.tensor([2, 4]) };
    const g2 = { w: tf.tensor([4, 2]) };
    const r1 = opt.updateInPlace(g1, state, params, { step: 1 });
    const r2 = opt.updateInPlace(g2, r1.state, params, { step: 2 });
    addUpdates(params, r1.updates);
    expect(Array.from(params.w.dataSync())).toEqual([0, 0]);
    addUpdates(params, r2.updates);
    expect(Array.from(params.w.dataSync())).toEqual([-2, -1]);
    disposeTree([state, r1.state, r2.state, r1.updates, r2.updates, params, g1, g2]);
  });
});

describe('optimize on the in-place path', () => {
  it('airfoil with adam: the same StepResults (loss, norms) as the pure path, no tensor left behind', async () => {
    await expectNoLeak(async () => {
      expect(await airfoilNorms(adam({ lr: 0.01, weightDecay: 0.01 }))).toEqual(await airfoilNorms(withoutInPlace(adam({ lr: 0.01, weightDecay: 0.01 }))));
    });
  });
});

describe('ownValues', () => {
  it('refuses storage that is a view into another tensor (a contiguous slice on cpu), and shared storage', () => {
    const whole = tf.tensor([1, 2, 3, 4, 5, 6]);
    const part = whole.slice([2], [2]); // on cpu: a view of whole's storage, with a storage id of its own
    expect(ownValues(part)).toBeUndefined();
    expect(ownValues(whole)).toBeDefined();
    const c = whole.clone();
    expect(ownValues(whole)).toBeUndefined();
    disposeTree([whole, part, c]);
  });
});

describe('sgdPlainInPlace (plain SGD without u: what sgdKernelInPlace runs for μ = 0, λ = 0, update = next)', () => {
  it('hand-derived: η′ = −0.5, g = [1, −2, 4], x = [0, 0, 1] → next = [−0.5, 1, −1], Σu² = 5.25, Σg² = 21', () => {
    // u = fl32(−0.5·g) = [−0.5, 1, −2]; next = x + u = [−0.5, 1, −1]; Σu² = 0.25 + 1 + 4; Σg² = 1 + 4 + 16.
    const next = new Float32Array(3);
    const out: InPlaceOutput = { update: next, next };
    expect(sgdPlainInPlace(Float32Array.of(1, -2, 4), Float32Array.of(0, 0, 1), -0.5, out)).toBe(0);
    expect(Array.from(next)).toEqual([-0.5, 1, -1]);
    expect([out.updateSq, out.gradSq]).toEqual([5.25, 21]);
  });

  it('bit for bit the next and norms of sgdKernelInPlace keeping u (its other loop), at 1, 2, 3 and 257 values', () => {
    for (const n of [1, 2, 3, 257]) {
      const rand = mulberry32(40 + n);
      const g = randomArray(n, rand);
      const x = randomArray(n, rand, 5);
      const kept: InPlaceOutput = { update: new Float32Array(n), next: new Float32Array(n) };
      sgdKernelInPlace(g, x, null, false, { lr: 0.1, momentum: 0, dampening: 0, nesterov: false, weightDecay: 0 }, kept);
      const next = new Float32Array(n);
      const lean: InPlaceOutput = { update: next, next };
      expect(sgdPlainInPlace(g, x, -0.1, lean)).toBe(0);
      expect(next).toEqual(kept.next);
      expect([lean.updateSq, lean.gradSq]).toEqual([kept.updateSq, kept.gradSq]);
    }
  });

  it('NaN when x + u overflows float32 in the odd last value', () => {
    const next = new Float32Array(3);
    expect(sgdPlainInPlace(Float32Array.of(0, 0, -3e38), Float32Array.of(0, 0, 3e38), -1, { update: next, next })).toBeNaN();
  });
});
