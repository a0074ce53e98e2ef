import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { adadelta, adagrad, adam, adamax, adamw, disposeReplaced, disposeTree, logisticRegression, restoreState, rmsprop, serializeState, sgd, type Tensors } from '../../src/index';
import { analyticOf } from '../../src/fast/AnalyticLoss';
import { arrayTrainer } from '../../src/fast/arrayTrainer';
import type { ArrayTransform } from '../../src/optimizers/fusedChain';
import { steadyLane } from '../../src/optimizers/SteadyLane';
import type { InPlaceOutput } from '../../src/kernels/InPlaceOutput';
import { mulberry32 } from '../../streams/sources/mulberry32';

type Counted = { count: number; params?: Record<string, { count: number }> };
/** Every count of a state: each part's own, then each parameter's, in order. */
function counts(state: unknown): number[] {
  const all: number[] = [];
  for (const part of state as Counted[]) {
    all.push(part.count);
    for (const p of Object.values(part.params ?? {})) all.push(p.count);
  }
  return all;
}

/** `updateArrays` on caller-held arrays (gradient and parameter tensors made once for the plans' shapes), x_t = out.next kept by the caller. */
function driver(opt: ArrayTransform<unknown[]>, x0: Record<string, number[]>, useLane: boolean) {
  const names = Object.keys(x0);
  const grads: Tensors = {};
  const params: Tensors = {};
  const out: Record<string, InPlaceOutput> = {};
  const x: Record<string, Float32Array> = {};
  for (const n of names) {
    grads[n] = tf.zeros([x0[n].length]);
    params[n] = tf.tensor(x0[n]);
    const next = new Float32Array(x0[n].length);
    out[n] = { update: next, next, updateSq: 0, gradSq: 0 };
    x[n] = Float32Array.from(x0[n]);
  }
  let state = opt.init(params);
  let lane: ReturnType<ArrayTransform<unknown[]>['updateArrays']>['lane'];
  let laneRuns = 0;
  let t = 0;
  return {
    x,
    get state() {
      return state;
    },
    get laneRuns() {
      return laneRuns;
    },
    step(g: Record<string, readonly number[]>, hyper: Record<string, number>): string | undefined {
      const arrays = { g: names.map((n) => Float32Array.from(g[n])), x: names.map((n) => x[n]) };
      let bad: string | undefined;
      if (useLane && lane !== undefined && lane.state === state && lane.hyper === hyper && lane.ready()) {
        bad = lane.run(arrays, names.map((n) => out[n]));
        laneRuns++;
      } else {
        const r = opt.updateArrays(grads, state, params, { step: t + 1, epoch: 1, hyper }, out, arrays);
        state = r.state;
        lane = r.lane;
        bad = r.bad;
      }
      if (bad === undefined) for (const n of names) x[n] = out[n].next.slice();
      t++;
      return bad;
    },
    dispose: () => disposeTree([grads, params, state]),
  };
}

/** Seeded float32-exact gradients, `steps` rows of `size` values. */
function gradStream(seed: number, steps: number, size: number): number[][] {
  const rand = mulberry32(seed);
  return Array.from({ length: steps }, () => Array.from({ length: size }, () => Math.fround((rand() * 2 - 1) * 10 ** (rand() * 2 - 1))));
}

describe('steadyLane', () => {
  it('runs each kernel on its arrays by position, raises every count once after them, names the first non-finite parameter', () => {
    const calls: string[] = [];
    // Hand kernels: next = x − ½·g; the second reports a non-finite x + u when g holds Infinity.
    const kernel = (label: string) => (g: Float32Array, x: Float32Array, out: InPlaceOutput) => {
      calls.push(label);
      let check = 0;
      for (let i = 0; i < g.length; i++) {
        out.next[i] = x[i] - 0.5 * g[i];
        check += out.next[i] - out.next[i];
      }
      return check;
    };
    const a = { count: 3 };
    const b = { count: 7 };
    const state = { tag: 'state' };
    const lane = steadyLane(state, 'hyper record', { lr: 0.5 }, ['w', 'b'], [{ run: kernel('w') }, { run: kernel('b') }], [a, b]);
    expect([lane.state, lane.hyper, lane.used]).toEqual([state, 'hyper record', { lr: 0.5 }]);
    const outs = [{ update: new Float32Array(2), next: new Float32Array(2) }, { update: new Float32Array(1), next: new Float32Array(1) }];
    outs[0].update = outs[0].next;
    expect(lane.run({ g: [Float32Array.of(2, 4), Float32Array.of(1)], x: [Float32Array.of(1, 1), Float32Array.of(0)] }, outs)).toBeUndefined();
    expect(calls).toEqual(['w', 'b']);
    // x − ½g: [1 − 1, 1 − 2] = [0, −1]; [0 − ½] = [−0.5]
    expect(Array.from(outs[0].next)).toEqual([0, -1]);
    expect(Array.from(outs[1].next)).toEqual([-0.5]);
    expect([a.count, b.count]).toEqual([4, 8]);
    expect(lane.run({ g: [Float32Array.of(0, 0), Float32Array.of(Infinity)], x: [Float32Array.of(1, 1), Float32Array.of(0)] }, outs)).toBe('b');
    expect([a.count, b.count]).toEqual([5, 9]);
  });
});

describe('sgd without momentum: a steady lane (ArrayTransform, 4)', () => {
  it('is offered from the second update on; the lane and updateArrays give bit-identical x_t and counts, x_t = x_{t−1} − η·g_t', () => {
    const x0 = { w: [0.5, -1, 2], b: [0.25] };
    const gw = gradStream(1, 20, 3);
    const gb = gradStream(2, 20, 1);
    const hyper = {};
    const viaLane = driver(sgd({ lr: 0.1 }) as ArrayTransform<unknown[]>, x0, true);
    const viaCalls = driver(sgd({ lr: 0.1 }) as ArrayTransform<unknown[]>, x0, false);
    // Float64 reference of plain SGD (PyTorch's torch.optim.SGD, momentum 0): x_t = x_{t−1} − η·g_t.
    const ref = { w: [...x0.w], b: [...x0.b] };
    for (let t = 0; t < 20; t++) {
      for (const d of [viaLane, viaCalls]) expect(d.step({ w: gw[t], b: gb[t] }, hyper)).toBeUndefined();
      for (let i = 0; i < 3; i++) ref.w[i] -= 0.1 * gw[t][i];
      ref.b[0] -= 0.1 * gb[t][0];
      expect(Array.from(viaLane.x.w)).toEqual(Array.from(viaCalls.x.w));
      expect(Array.from(viaLane.x.b)).toEqual(Array.from(viaCalls.x.b));
    }
    // Updates 1 and 2 plan; the second's result carries the lane, which runs updates 3 … 20.
    expect(viaLane.laneRuns).toBe(18);
    ref.w.forEach((v, i) => expect(viaLane.x.w[i]).toBeCloseTo(v, 5));
    expect(viaLane.x.b[0]).toBeCloseTo(ref.b[0], 5);
    expect(counts(viaLane.state)).toEqual(counts(viaCalls.state));
    expect(counts(viaLane.state)).toEqual(Array(counts(viaLane.state).length).fill(20));
    viaLane.dispose();
    viaCalls.dispose();
  });

  it('is not offered under a schedule (η_t = 0.1/t: counters undefined)', () => {
    const d = driver(sgd({ lr: (t: number) => 0.1 / t }) as ArrayTransform<unknown[]>, { w: [1, 2] }, true);
    for (let t = 0; t < 6; t++) d.step({ w: [0.5, -0.5] }, {});
    expect(d.laneRuns).toBe(0);
    d.dispose();
  });

  it('reports a non-finite x + u naming the parameter, and has raised the counts (as a steady update does)', () => {
    const d = driver(sgd({ lr: 0.1 }) as ArrayTransform<unknown[]>, { w: [1, 2], b: [0] }, true);
    const hyper = {};
    for (let t = 0; t < 4; t++) expect(d.step({ w: [1, 1], b: [1] }, hyper)).toBeUndefined();
    expect(d.laneRuns).toBe(2);
    expect(d.step({ w: [1, 1], b: [NaN] }, hyper)).toBe('b');
    expect(d.laneRuns).toBe(3);
    expect(counts(d.state)).toEqual(Array(counts(d.state).length).fill(5));
    d.dispose();
  });
});

describe('arrayTrainer runs the lane only for its state and ctx.hyper record', () => {
  /**
   * Float64 logistic regression under plain SGD, one example per step (PyTorch: BCEWithLogits,
   * torch.optim.SGD): z = b + w·x, p = σ(z), g_w = (p − y)·x, g_b = p − y, then w −= η·g_w, b −= η·g_b.
   */
  function logisticRef(xs: number[][], ys: number[], lrs: number[]): { w: number[]; b: number } {
    const w = xs[0].map(() => 0);
    let b = 0;
    xs.forEach((x, t) => {
      const z = b + x.reduce((s, v, i) => s + v * w[i], 0);
      const e = 1 / (1 + Math.exp(-z)) - ys[t];
      x.forEach((v, i) => (w[i] -= lrs[t] * e * v));
      b -= lrs[t] * e;
    });
    return { w, b };
  }
  const rand = mulberry32(5);
  const xs = Array.from({ length: 12 }, () => [Math.fround(rand() * 2 - 1), Math.fround(rand() * 2 - 1)]);
  const ys = xs.map((x) => (x[0] + 0.5 * x[1] > 0 ? 1 : 0));

  it('a new ctx.hyper record with η 0.1 → 0.4 at step 7: steps 7 … 12 use 0.4 (the lane of the old record is not run)', () => {
    const m = logisticRegression(2);
    const opt = sgd({ lr: 0.1 }) as ArrayTransform<unknown[]>;
    const trainer = arrayTrainer(analyticOf(m.loss)!, m.params, opt);
    let state = opt.init(m.params);
    const slow = {};
    const fast = { lr: 0.4 };
    for (let t = 0; t < 12; t++) {
      const r = trainer.step(state, Float32Array.from(xs[t]), [ys[t]], 1, { step: t + 1, epoch: 1, hyper: t < 6 ? slow : fast });
      if ('refused' in r) throw new Error('refused');
      state = r.state;
      expect(r.used.lr).toBe(t < 6 ? 0.1 : 0.4);
    }
    const ref = logisticRef(xs, ys, xs.map((_, t) => (t < 6 ? 0.1 : 0.4)));
    Array.from(m.params.w.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(ref.w[i], 5));
    expect(m.params.b.dataSync()[0]).toBeCloseTo(ref.b, 5);
    expect(counts(state)).toEqual(Array(counts(state).length).fill(12));
    trainer.dispose();
    disposeTree(state);
    m.dispose();
  });

  it('adam with a moment shared from step 5 to 8 (a clone held): the same w and b bit for bit as without sharing', () => {
    const run = (share: boolean) => {
      const m = logisticRegression(2);
      const opt = adam({ lr: 0.05 }) as ArrayTransform<unknown[]>;
      const trainer = arrayTrainer(analyticOf(m.loss)!, m.params, opt);
      let state = opt.init(m.params);
      const hyper = {};
      let held: tf.Tensor | undefined;
      for (let t = 0; t < 12; t++) {
        if (share && t === 4) held = tf.clone((state as { params: Record<string, { v: tf.Tensor }> }[])[1].params.w.v);
        if (t === 8) held?.dispose();
        const r = trainer.step(state, Float32Array.from(xs[t]), [ys[t]], 1, { step: t + 1, epoch: 1, hyper });
        if ('refused' in r) throw new Error('refused');
        if (r.replaced) disposeReplaced(state, r.state);
        state = r.state;
      }
      const out = [...m.params.w.dataSync(), ...m.params.b.dataSync()];
      trainer.dispose();
      disposeTree(state);
      m.dispose();
      return out;
    };
    expect(run(true)).toEqual(run(false));
  });

  it('a checkpoint restored at step 8 (saved at step 4): the counts go on from 4, not from the lane’s state', () => {
    const m = logisticRegression(2);
    const opt = sgd({ lr: 0.1 }) as ArrayTransform<unknown[]>;
    const trainer = arrayTrainer(analyticOf(m.loss)!, m.params, opt);
    let state = opt.init(m.params);
    const hyper = {};
    let saved: unknown;
    for (let t = 0; t < 12; t++) {
      if (t === 7) {
        disposeTree(state);
        state = restoreState(saved);
      }
      const r = trainer.step(state, Float32Array.from(xs[t]), [ys[t]], 1, { step: t + 1, epoch: 1, hyper });
      if ('refused' in r) throw new Error('refused');
      state = r.state;
      if (t === 3) saved = serializeState(state);
    }
    // 4 updates before the checkpoint, then steps 8 … 12: 5 more.
    expect(counts(state)).toEqual(Array(counts(state).length).fill(9));
    trainer.dispose();
    disposeTree(state);
    m.dispose();
  });
});

describe('steady lanes of optimizers with moments: written into their own storage, or not run', () => {
  const optimizers: [string, () => ArrayTransform<unknown[]>][] = [
    ['sgd momentum 0.9', () => sgd({ lr: 0.05, momentum: 0.9 }) as ArrayTransform<unknown[]>],
    ['sgd nesterov, dampening 0, λ 0.01', () => sgd({ lr: 0.05, momentum: 0.8, nesterov: true, weightDecay: 0.01 }) as ArrayTransform<unknown[]>],
    ['adam', () => adam({ lr: 0.05 }) as ArrayTransform<unknown[]>],
    ['adamw λ 0.1', () => adamw({ lr: 0.05, weightDecay: 0.1 }) as ArrayTransform<unknown[]>],
    ['adam amsgrad', () => adam({ lr: 0.05, amsgrad: true }) as ArrayTransform<unknown[]>],
    ['adamax λ 0.01', () => adamax({ lr: 0.05, weightDecay: 0.01 }) as ArrayTransform<unknown[]>],
    ['adagrad lrDecay 0.1', () => adagrad({ lr: 0.2, lrDecay: 0.1 }) as ArrayTransform<unknown[]>],
    ['adadelta', () => adadelta({ lr: 1 }) as ArrayTransform<unknown[]>],
    ['rmsprop', () => rmsprop({ lr: 0.01 }) as ArrayTransform<unknown[]>],
    ['rmsprop centered, momentum 0.5', () => rmsprop({ lr: 0.01, centered: true, momentum: 0.5 }) as ArrayTransform<unknown[]>],
  ];
  for (const [label, make] of optimizers) {
    it(`${label}: the lane runs from update 3 and gives bit for bit updateArrays' x_t and counts over 20 updates`, () => {
      const x0 = { w: [0.5, -1, 2], b: [0.25] };
      const gw = gradStream(3, 20, 3);
      const gb = gradStream(4, 20, 1);
      const hyper = {};
      const viaLane = driver(make(), x0, true);
      const viaCalls = driver(make(), x0, false);
      for (let t = 0; t < 20; t++) {
        for (const d of [viaLane, viaCalls]) expect(d.step({ w: gw[t], b: gb[t] }, hyper)).toBeUndefined();
        expect(Array.from(viaLane.x.w)).toEqual(Array.from(viaCalls.x.w));
        expect(Array.from(viaLane.x.b)).toEqual(Array.from(viaCalls.x.b));
      }
      expect(viaLane.laneRuns).toBe(18);
      expect(counts(viaLane.state)).toEqual(counts(viaCalls.state));
      expect(counts(viaLane.state)).toEqual(Array(counts(viaLane.state).length).fill(20));
      expect(JSON.stringify(serializeState(viaLane.state))).toBe(JSON.stringify(serializeState(viaCalls.state)));
      viaLane.dispose();
      viaCalls.dispose();
    });
  }

  it('adam, a moment shared after update 6 (a clone of w’s m held): not ready, updateArrays writes new moments; steady again, x_t still PyTorch’s', () => {
    // PyTorch's Adam (torch.optim.Adam, float64 reference): m = β1·m + (1 − β1)·g, v = β2·v + (1 − β2)·g²,
    // x −= η/(1 − β1^t) · m / (√v/√(1 − β2^t) + ε), t the update count.
    const x0 = { w: [0.5, -1, 2] };
    const gw = gradStream(7, 14, 3);
    const d = driver(adam({ lr: 0.05 }) as ArrayTransform<unknown[]>, x0, true);
    const ref = [...x0.w];
    const m = [0, 0, 0];
    const v = [0, 0, 0];
    let held: tf.Tensor | undefined;
    const hyper = {};
    for (let t = 1; t <= 14; t++) {
      if (t === 7) held = tf.clone((d.state as { params: Record<string, { m: tf.Tensor }> }[])[1].params.w.m);
      const runsBefore = d.laneRuns;
      expect(d.step({ w: gw[t - 1] }, hyper)).toBeUndefined();
      // Update 7: the shared moment makes the lane not ready; updateArrays runs (and writes a new m).
      if (t === 7) expect(d.laneRuns).toBe(runsBefore);
      for (let i = 0; i < 3; i++) {
        const g = gw[t - 1][i];
        m[i] = 0.9 * m[i] + 0.1 * g;
        v[i] = 0.999 * v[i] + 0.001 * g * g;
        ref[i] -= ((0.05 / (1 - 0.9 ** t)) * m[i]) / (Math.sqrt(v[i]) / Math.sqrt(1 - 0.999 ** t) + 1e-8);
      }
    }
    // Updates 1, 2 plan; 3 … 6 lane; 7 and 8 updateArrays (new records, then in place again); 9 … 14 lane.
    expect(d.laneRuns).toBe(10);
    ref.forEach((r, i) => expect(Math.abs(d.x.w[i] - r)).toBeLessThanOrEqual(2e-5 * Math.max(1e-3, Math.abs(r))));
    expect(counts(d.state)).toEqual(Array(counts(d.state).length).fill(14));
    held!.dispose();
    d.dispose();
  });
});

