import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { adam, disposeReplaced, disposeTree, logisticRegression, restoreState, scaleByAdam, scaleByLearningRate, serializeState, sgd, type Params } from '../../src/index';
import { analyticOf } from '../../src/fast/AnalyticLoss';
import { arrayTrainer, type ArrayStep, type ArrayStepRefusal } from '../../src/fast/arrayTrainer';
import { fusedChain, IN_PLACE, type ArrayTransform } from '../../src/optimizers/fusedChain';
import { trace } from '../../src/transforms/trace';
import { FUSED_CONFIGS, randomGrads, randomParams } from '../kernels/configs';

/** The id the next tensor gets (tfjs numbers tensors in creation order); the probe is freed. */
function nextTensorId(): number {
  const probe = tf.scalar(0);
  const id = probe.id + 1;
  probe.dispose();
  return id;
}

function done<S>(r: ArrayStep<S> | ArrayStepRefusal<S>): ArrayStep<S> {
  if ('refused' in r) throw new Error(`refused: ${r.refused} ${r.name}`);
  return r;
}

/** Set a parameter's values (a new storage it owns). */
function set(p: tf.Variable, values: number[]): void {
  const t = tf.tensor(values, p.shape);
  p.assign(t);
  t.dispose();
}

const ctx = (step: number, hyper = {}) => ({ step, epoch: 1, hyper });

describe('arrayTrainer: x + u swapped into the parameters’ storage, norms from the kernel', () => {
  it('two sgd steps of logistic regression (hand derivation): the parameters hold x + u, loss and norms as derived', () => {
    // Step 1, w = b = 0, x = [1, 2], y = 1: z = 0, σ = ½, loss = log 2; ∂L/∂z = σ − y = −½,
    // g = [−½, −1], g_b = −½: ‖g‖ = ½·√6 = 1.2247449; u = −0.1·g: w = [0.05, 0.1], b = 0.05, ‖u‖ = 0.12247449.
    // Step 2, same example: z = 0.05 + 0.05 + 0.2 = 0.3, σ(0.3) = 0.5744425168, loss = log(1 + e^−0.3) = 0.5543552445;
    // ∂L/∂z = −0.4255574832: w = [0.05 + 0.04255574832, 0.1 + 0.08511149664] = [0.0925557483, 0.1851114966],
    // b = 0.0925557483; ‖g‖ = 0.4255574832·√6 = 1.0424043.
    const m = logisticRegression(2);
    const opt = sgd({ lr: 0.1 }) as ArrayTransform<unknown[]>;
    const trainer = arrayTrainer(analyticOf(m.loss)!, m.params, opt);
    const x = Float32Array.of(1, 2);
    const r1 = done(trainer.step(opt.init(m.params), x, [1], 1, ctx(1)));
    expect(r1.loss).toBeCloseTo(Math.LN2, 6);
    expect(r1.gradNorm).toBeCloseTo(0.5 * Math.sqrt(6), 6);
    expect(r1.updateNorm).toBeCloseTo(0.05 * Math.sqrt(6), 7);
    expect(Array.from(m.params.w.dataSync())).toEqual([Math.fround(0.05), Math.fround(0.1)]);
    expect(m.params.b.dataSync()[0]).toBe(Math.fround(0.05));
    const r2 = done(trainer.step(r1.state, x, [1], 1, ctx(2)));
    expect(r2.loss).toBeCloseTo(0.5543552445, 6);
    expect(r2.gradNorm).toBeCloseTo(0.4255574832 * Math.sqrt(6), 6);
    const w = m.params.w.dataSync();
    expect(w[0]).toBeCloseTo(0.0925557483, 6);
    expect(w[1]).toBeCloseTo(0.1851114966, 6);
    expect(m.params.b.dataSync()[0]).toBeCloseTo(0.0925557483, 6);
    // The tfjs path reads the same values from the swapped storage.
    expect((m.params.w.sum().arraySync() as number)).toBeCloseTo(0.0925557483 + 0.1851114966, 6);
    trainer.dispose();
    disposeTree(r2.state);
    m.dispose();
  });

  it('a parameter record in another order than the loss’s names (b before w): the same steps, each array to its parameter', () => {
    // As the first test: step 1 from w = b = 0 gives w = [0.05, 0.1], b = 0.05; step 2 w = [0.0925557483, 0.1851114966], b = 0.0925557483.
    const m = logisticRegression(2);
    const params = { b: m.params.b, w: m.params.w } as Params;
    const opt = sgd({ lr: 0.1 }) as ArrayTransform<unknown[]>;
    const trainer = arrayTrainer(analyticOf(m.loss)!, params, opt);
    expect(Object.keys(trainer.grads)).toEqual(['b', 'w']);
    const x = Float32Array.of(1, 2);
    let state = opt.init(params);
    for (let t = 1; t <= 3; t++) {
      const r = done(trainer.step(state, x, [1], 1, ctx(t)));
      if (r.replaced) disposeReplaced(state, r.state);
      state = r.state;
      if (t === 1) {
        expect(Array.from(m.params.w.dataSync())).toEqual([Math.fround(0.05), Math.fround(0.1)]);
        expect(m.params.b.dataSync()[0]).toBe(Math.fround(0.05));
      }
      if (t === 2) {
        const w = m.params.w.dataSync();
        expect(w[0]).toBeCloseTo(0.0925557483, 6);
        expect(w[1]).toBeCloseTo(0.1851114966, 6);
        expect(m.params.b.dataSync()[0]).toBeCloseTo(0.0925557483, 6);
      }
    }
    trainer.dispose();
    disposeTree(state);
    m.dispose();
  });

  it('steady state: no tensor made, the parameters alternate between two arrays each, the state keeps its tensors and records (adam, 2,000 steps)', () => {
    const m = logisticRegression(4);
    const opt = adam({ lr: 0.01 }) as ArrayTransform<unknown[]>;
    const trainer = arrayTrainer(analyticOf(m.loss)!, m.params, opt);
    const x = Float32Array.of(0.5, -1, 2, 0.25);
    let state = opt.init(m.params);
    const step = (t: number) => {
      const r = done(trainer.step(state, x, [t % 2], 1, ctx(t)));
      if (r.replaced) disposeReplaced(state, r.state);
      state = r.state;
      return r;
    };
    for (let t = 1; t <= 3; t++) step(t);
    const tensors = tf.memory().numTensors;
    const first = nextTensorId();
    const storage = { w: new Set<ArrayBufferLike>(), b: new Set<ArrayBufferLike>() };
    const moments = state as { params?: Record<string, { m: tf.Tensor; v: tf.Tensor }> }[];
    const m0 = moments[1].params!.w.m;
    for (let t = 4; t < 2004; t++) {
      const r = step(t);
      expect(r.replaced).toBe(false);
      storage.w.add(m.params.w.dataSync().buffer);
      storage.b.add(m.params.b.dataSync().buffer);
    }
    expect(nextTensorId()).toBe(first + 1); // + 1: the closing probe itself
    expect(tf.memory().numTensors).toBe(tensors);
    expect(storage.w.size).toBe(2);
    expect(storage.b.size).toBe(2);
    const now = state as typeof moments;
    expect(now[1].params!.w.m).toBe(m0);
    expect((now[1] as unknown as { count: number }).count).toBe(2003);
    trainer.dispose();
    disposeTree(state);
    m.dispose();
  });

  it('a non-finite x + u is refused naming the parameter: nothing assigned, the storage and values untouched', () => {
    // w = [3e38, −3e38], b = 0, x = [1, 1], y = 1: z = 3e38 − 3e38 + 0 = 0, σ = ½, g = [−½, −½], g_b = −½;
    // η = 1e38: u = [5e37, 5e37] (finite), but 3e38 + 5e37 > 3.4028e38 overflows float32.
    const m = logisticRegression(2);
    set(m.params.w as tf.Variable, [3e38, -3e38]);
    const opt = sgd({ lr: 1e38 }) as ArrayTransform<unknown[]>;
    const trainer = arrayTrainer(analyticOf(m.loss)!, m.params, opt);
    const before = { w: m.params.w.dataSync(), b: m.params.b.dataSync() };
    const values = { w: Array.from(before.w), b: Array.from(before.b) };
    const r = trainer.step(opt.init(m.params), Float32Array.of(1, 1), [1], 1, ctx(1));
    expect(r).toMatchObject({ refused: 'sum', name: 'w' });
    expect(m.params.w.dataSync()).toBe(before.w);
    expect(m.params.b.dataSync()).toBe(before.b);
    expect(Array.from(m.params.w.dataSync())).toEqual(values.w);
    expect(Array.from(m.params.b.dataSync())).toEqual(values.b);
    trainer.dispose();
    disposeTree(r.state);
    m.dispose();
  });

  it('a non-finite u is refused first, naming the parameter, before any sum is looked at', () => {
    // w = b = 0, x = [4, 0], y = 1: z = 0, g = −½·[4, 0] = [−2, 0]; η = 3e38: u_w = [6e38, 0] → +∞ in float32.
    const m = logisticRegression(2);
    const opt = sgd({ lr: 3e38 }) as ArrayTransform<unknown[]>;
    const trainer = arrayTrainer(analyticOf(m.loss)!, m.params, opt);
    const before = m.params.w.dataSync();
    const r = trainer.step(opt.init(m.params), Float32Array.of(4, 0), [1], 1, ctx(1));
    expect(r).toMatchObject({ refused: 'update', name: 'w' });
    expect(m.params.w.dataSync()).toBe(before);
    expect(Array.from(before)).toEqual([0, 0]);
    trainer.dispose();
    disposeTree(r.state);
    m.dispose();
  });

  it('a checkpoint after swaps holds the hand-derived state and parameters, and resumes bit for bit as a run never stopped', () => {
    // sgd, η = 0.1, μ = 0.9, x = [1, 2], y = 1, from w = b = 0:
    // step 1: g = [−½, −1], g_b = −½; v = g; w = [0.05, 0.1], b = 0.05.
    // step 2: z = 0.3, ∂L/∂z = σ(0.3) − 1 = −0.4255574832; g = [−0.4255574832, −0.8511149664], g_b = −0.4255574832;
    //   v = 0.9·v + g = [−0.8755574832, −1.7511149664], v_b = −0.8755574832; u = −0.1·v:
    //   w = [0.1375557483, 0.2751114966], b = 0.1375557483.
    const m = logisticRegression(2);
    const opt = sgd({ lr: 0.1, momentum: 0.9 }) as ArrayTransform<unknown[]>;
    const trainer = arrayTrainer(analyticOf(m.loss)!, m.params, opt);
    const x = Float32Array.of(1, 2);
    let state = opt.init(m.params);
    for (let t = 1; t <= 2; t++) {
      const r = done(trainer.step(state, x, [1], 1, ctx(t)));
      if (r.replaced) disposeReplaced(state, r.state);
      state = r.state;
    }
    const saved = JSON.parse(JSON.stringify({ state: serializeState(state), w: Array.from(m.params.w.dataSync()), b: Array.from(m.params.b.dataSync()) }));
    [0.1375557483, 0.2751114966].forEach((v, i) => expect(saved.w[i]).toBeCloseTo(v, 6));
    expect(saved.b[0]).toBeCloseTo(0.1375557483, 6);
    const restored = restoreState(saved.state, opt, m.params) as unknown[];
    const trace = (restored[1] as { params: Record<string, { trace: tf.Tensor; count: number }> }).params;
    const v = trace.w.trace.dataSync();
    expect(v[0]).toBeCloseTo(-0.8755574832, 6);
    expect(v[1]).toBeCloseTo(-1.7511149664, 6);
    expect(trace.b.trace.dataSync()[0]).toBeCloseTo(-0.8755574832, 6);
    expect(trace.w.count).toBe(2);
    // Step 3 twice: from the live state, and from the checkpoint on fresh parameters and a new trainer.
    const live = done(trainer.step(state, x, [1], 1, ctx(3)));
    const m2 = logisticRegression(2);
    set(m2.params.w as tf.Variable, saved.w);
    set(m2.params.b as tf.Variable, saved.b);
    const trainer2 = arrayTrainer(analyticOf(m2.loss)!, m2.params, opt);
    const resumed = done(trainer2.step(restored, x, [1], 1, ctx(3)));
    expect(Array.from(m2.params.w.dataSync())).toEqual(Array.from(m.params.w.dataSync()));
    expect(Array.from(m2.params.b.dataSync())).toEqual(Array.from(m.params.b.dataSync()));
    expect(resumed.loss).toBe(live.loss);
    expect(resumed.updateNorm).toBe(live.updateNorm);
    trainer.dispose();
    trainer2.dispose();
    disposeTree([live.state, resumed.state]);
    m.dispose();
    m2.dispose();
  });

  it('a parameter sharing its storage (a clone held elsewhere) is assigned a new tensor; the clone keeps the old values', () => {
    const m = logisticRegression(2);
    const opt = sgd({ lr: 0.1 }) as ArrayTransform<unknown[]>;
    const trainer = arrayTrainer(analyticOf(m.loss)!, m.params, opt);
    const held = m.params.w.clone();
    const r = done(trainer.step(opt.init(m.params), Float32Array.of(1, 2), [1], 1, ctx(1)));
    expect(Array.from(held.dataSync())).toEqual([0, 0]);
    expect(Array.from(m.params.w.dataSync())).toEqual([Math.fround(0.05), Math.fround(0.1)]); // as derived above
    held.dispose();
    trainer.dispose();
    disposeTree(r.state);
    m.dispose();
  });
});

describe('updateArrays in steady state: state records advanced in place, hyperparameter records reused', () => {
  function setup() {
    const m = logisticRegression(3);
    const params = m.params as Params;
    const grads = { w: tf.tensor([[0.5], [-1], [2]]), b: tf.tensor([1]) };
    const opt = sgd({ lr: 0.1, momentum: 0.9 }) as ArrayTransform<unknown[]>;
    const outs = { w: { update: new Float32Array(3), next: new Float32Array(3) }, b: { update: new Float32Array(1), next: new Float32Array(1) } };
    const dispose = () => {
      disposeTree(grads);
      m.dispose();
    };
    return { params, grads, opt, outs, dispose };
  }
  type Part = { count: number; params?: Record<string, { count: number; trace?: tf.Tensor | null }> };

  it('the caller’s first state is never written; the states it made are advanced in their own records', () => {
    const { params, grads, opt, outs, dispose } = setup();
    const s0 = opt.init(params);
    const r1 = opt.updateArrays(grads, s0, params, ctx(1), outs);
    // The first update makes the momentum buffers (new arrays) and new records; s0 is as it was.
    expect(r1.replaced).toBe(true);
    expect((s0[1] as Part).count).toBe(0);
    expect((s0[1] as Part).params!.w.count).toBe(0);
    expect((s0[1] as Part).params!.w.trace).toBeNull();
    const trace = (r1.state[1] as Part).params!.w.trace!;
    const r2 = opt.updateArrays(grads, r1.state, params, ctx(2), outs);
    expect(r2.replaced).toBe(false);
    expect(r2.state).toBe(r1.state); // the same records, counts advanced in place
    expect((r2.state[1] as Part).count).toBe(2);
    expect((r2.state[1] as Part).params!.w.count).toBe(2);
    expect((r2.state[1] as Part).params!.w.trace).toBe(trace);
    // Momentum buffer after two updates with the same g = [0.5, −1, 2]: v = 0.9·g + g = 1.9·g.
    expect(Array.from(trace.dataSync())).toEqual([0.95, -1.9, 3.8].map(Math.fround));
    disposeTree(r2.state);
    dispose();
  });

  it('a moment that cannot be written in place (its storage shared) gets a new tensor and new records; the others stay in place', () => {
    const { params, grads, opt, outs, dispose } = setup();
    let state = opt.init(params);
    for (let t = 1; t <= 2; t++) {
      const r = opt.updateArrays(grads, state, params, ctx(t), outs);
      if (r.replaced) disposeReplaced(state, r.state);
      state = r.state;
    }
    const before = state[1] as Part;
    const traceW = before.params!.w.trace!;
    const traceB = before.params!.b.trace!;
    const held = traceB.clone(); // shares b's buffer: it cannot be written in place
    const r3 = opt.updateArrays(grads, state, params, ctx(3), outs);
    expect(r3.replaced).toBe(true);
    expect(r3.state).not.toBe(state);
    const after = r3.state[1] as Part;
    expect(after.params!.w.trace).toBe(traceW);
    expect(after.params!.b.trace).not.toBe(traceB);
    expect([after.count, after.params!.w.count, after.params!.b.count]).toEqual([3, 3, 3]);
    expect([before.count, before.params!.w.count, before.params!.b.count]).toEqual([2, 2, 2]); // the old records as they were
    // b's buffer: g_b = 1, v = 1, 1.9, then 0.9·1.9 + 1 = 2.71; the held copy keeps 1.9.
    expect(after.params!.b.trace!.dataSync()[0]).toBeCloseTo(2.71, 6);
    expect(held.dataSync()[0]).toBeCloseTo(1.9, 6);
    disposeReplaced(state, r3.state);
    held.dispose();
    // And the next update, of the records it just made, is in place again.
    const r4 = opt.updateArrays(grads, r3.state, params, ctx(4), outs);
    expect(r4.replaced).toBe(false);
    expect(r4.state).toBe(r3.state);
    expect((r4.state[1] as Part).params!.b.count).toBe(4);
    disposeTree(r4.state);
    dispose();
  });

  it('`used` is the previous record while the values stay, a new one when a value changes', () => {
    const { params, grads, opt, outs, dispose } = setup();
    let state = opt.init(params);
    const r1 = opt.updateArrays(grads, state, params, ctx(1), outs);
    disposeReplaced(state, r1.state);
    state = r1.state;
    const r2 = opt.updateArrays(grads, state, params, ctx(2), outs);
    expect(r2.used).toBe(r1.used);
    expect(r2.used).toEqual({ weightDecay: 0, momentum: 0.9, dampening: 0, lr: 0.1 });
    const r3 = opt.updateArrays(grads, r2.state, params, ctx(3, { lr: 0.05 }), outs);
    expect(r3.used).not.toBe(r2.used);
    expect(r3.used).toEqual({ weightDecay: 0, momentum: 0.9, dampening: 0, lr: 0.05 });
    expect(r2.used).toEqual({ weightDecay: 0, momentum: 0.9, dampening: 0, lr: 0.1 }); // never mutated
    disposeTree(r3.state);
    dispose();
  });
});

describe('every fused optimizer advances its own state in place in steady state (updateArrays)', () => {
  for (const [name, make] of Object.entries(FUSED_CONFIGS)) {
    it(`${name}: from the third update on, the same state records, no tensor replaced, the counts advanced`, () => {
      const params = randomParams(3);
      const g = randomGrads(params, 7)(1);
      const opt = make('auto') as ArrayTransform<unknown[]>;
      const outs: Record<string, { update: Float32Array; next: Float32Array }> = {};
      for (const n of Object.keys(g)) outs[n] = { update: new Float32Array(g[n].size), next: new Float32Array(g[n].size) };
      let state = opt.init(params);
      for (let t = 1; t <= 5; t++) {
        const r = opt.updateArrays(g, state, params, ctx(t), outs);
        if (t >= 3) {
          expect(r.replaced).toBe(false);
          expect(r.state).toBe(state);
        }
        if (r.replaced) disposeReplaced(state, r.state);
        state = r.state;
      }
      for (const part of state as { count: number }[]) expect(part.count).toBe(5);
      disposeTree([state, params, g]);
    });
  }
});

describe('hyperparameter records in steady state', () => {
  const grads = () => ({ w: tf.tensor([1, 2]) });

  it('the same ctx.hyper record resolves to the same values object; a new record with other values to a new one', () => {
    const t = scaleByAdam({ beta1: 0.9 });
    const g = grads();
    const s = t.init(g);
    const hyper = { beta1: 0.8 };
    const p1 = t.plan(g, s, undefined, { step: 1, hyper });
    const p2 = t.replan(p1, g, s, undefined, { step: 2, hyper });
    expect(p2.hyper).toBe(p1.hyper);
    expect(p2.hyper).toEqual({ beta1: 0.8, beta2: 0.999, eps: 1e-8 });
    const p3 = t.replan(p2, g, s, undefined, { step: 3, hyper: { beta1: 0.8 } }); // another record, the same values
    expect(p3.hyper).toBe(p1.hyper);
    const p4 = t.replan(p3, g, s, undefined, { step: 4, hyper: { beta1: 0.7 } });
    expect(p4.hyper).toEqual({ beta1: 0.7, beta2: 0.999, eps: 1e-8 });
    expect(p1.hyper).toEqual({ beta1: 0.8, beta2: 0.999, eps: 1e-8 }); // never mutated
    tf.dispose(g);
    disposeTree(s);
  });

  it('an override out of range fails at every update, also after a valid record was seen', () => {
    const t = scaleByAdam();
    const g = grads();
    const s = t.init(g);
    const ok = { beta1: 0.8 };
    const p1 = t.plan(g, s, undefined, { step: 1, hyper: ok });
    const bad = { beta1: 1.5 };
    expect(() => t.replan(p1, g, s, undefined, { step: 2, hyper: bad })).toThrow(/beta1/);
    expect(() => t.replan(p1, g, s, undefined, { step: 3, hyper: bad })).toThrow(/beta1/);
    const lr = scaleByLearningRate(0.1);
    const l1 = lr.plan(g, lr.init(g), undefined, { step: 1, hyper: {} });
    expect(() => lr.replan(l1, g, { count: 1 }, undefined, { step: 2, hyper: { lr: -1 } })).toThrow(/lr/);
    expect(() => lr.replan(l1, g, { count: 1 }, undefined, { step: 3, hyper: { lr: -1 } })).toThrow(/lr/);
    tf.dispose(g);
    disposeTree(s);
  });

  it('counters: the records an in-place advance raises while every option is a number; none with a schedule', () => {
    const g = grads();
    const t = trace({ momentum: 0.9 });
    const s = t.init(g);
    expect(t.counters!(s, ['w'])).toEqual([s, s.params.w]);
    expect(t.counters!(s, ['w'])![1]).toBe(s.params.w);
    expect(trace({ momentum: (n) => 0.9 / n }).counters!(s, ['w'])).toBeUndefined();
    const lr = scaleByLearningRate(0.1);
    const ls = lr.init(g);
    expect(lr.counters!(ls, [])![0]).toBe(ls);
    expect(scaleByLearningRate((n) => 1 / n).counters!(ls, [])).toBeUndefined();
    tf.dispose(g);
    disposeTree(s);
  });

  it('a schedule is evaluated at every step (lr = 1/t: 1, ½, ⅓)', () => {
    const lr = scaleByLearningRate((t) => 1 / t);
    const g = grads();
    const hyper = {};
    let p = lr.plan(g, lr.init(g), undefined, { step: 1, hyper });
    const seen = [p.hyper.lr];
    for (let t = 2; t <= 3; t++) {
      p = lr.replan(p, g, { count: t - 1 }, undefined, { step: t, hyper });
      seen.push(p.hyper.lr);
    }
    expect(seen).toEqual([1, 1 / 2, 1 / 3]);
    tf.dispose(g);
  });
});

describe('steady updates (ArrayTransform, 3): no part called while ctx.hyper is the same record', () => {
  type Counted = { count: number; params?: Record<string, { count: number; trace: tf.Tensor | null }> };
  /**
   * trace(μ = ½) then scaleByLearningRate, each part's `plan` and `replan` counted, with an
   * in-place kernel written out here: v ← μ·v + g (a new array the first time, then the trace's
   * own storage), u = −η·v, x + u into `out.next`.
   */
  function counted(lr: number | ((t: number) => number)) {
    const calls = { plan: 0, replan: 0 };
    const spy = <T extends { plan: (...a: any[]) => any; replan: (...a: any[]) => any }>(part: T): T => ({
      ...part,
      plan: (...a: any[]) => (calls.plan++, part.plan(...a)),
      replan: (...a: any[]) => (calls.replan++, part.replan(...a)),
    });
    const parts = [spy(trace({ momentum: 0.5 })), spy(scaleByLearningRate(lr))] as const;
    const opt = fusedChain(parts, 'auto', () => {
      throw new Error('not used');
    }, (plans, name, g, x, writable, out, own) => {
      const s = plans[0].params[name];
      const v = s.trace === null ? new Float32Array(g.length) : writable(s.trace);
      const mu = plans[0].hyper.momentum;
      const eta = plans[1].hyper.lr;
      let check = 0;
      for (let i = 0; i < g.length; i++) {
        v[i] = s.trace === null ? g[i] : mu * v[i] + g[i];
        out.next[i] = x[i] - eta * v[i];
        check += out.next[i];
      }
      out.updateSq = 0;
      out.gradSq = 0;
      const inPlace = s.trace !== null && own !== undefined && own(s.trace) === v;
      return { check: check - check, fields: inPlace ? IN_PLACE : [{ trace: s.trace === null || !inPlace ? v : s.trace }, undefined] };
    }) as ArrayTransform<unknown[]>;
    const params = { w: tf.variable(tf.zeros([2])) } as Params;
    const grads = { w: tf.tensor([1, -2]) };
    const out = { w: { update: new Float32Array(2), next: new Float32Array(2), updateSq: 0, gradSq: 0 } };
    let state = opt.init(params);
    const update = (t: number, hyper: Record<string, number>) => {
      const r = opt.updateArrays(grads, state, params, { step: t, epoch: 1, hyper }, out);
      if (r.replaced) disposeReplaced(state, r.state);
      state = r.state;
      return { used: r.used, next: Array.from(out.w.next) };
    };
    const dispose = () => disposeTree([state, params, grads]);
    return { calls, update, state: () => state as Counted[], dispose };
  }

  it('updates 3… with the same record call no part; counts and values as planned; a new record plans again, then steady again', () => {
    // x = 0 (never assigned here), g = [1, −2], μ = ½, η = 0.1: v₁ = g, v_t = ½·v_{t−1} + g = (2 − 2^{1−t})·g;
    // next = −η·v_t: t = 1 → −0.1·[1, −2]; t = 3 → −0.175·[1, −2]; t = 5 → −0.19375·[1, −2].
    const { calls, update, state, dispose } = counted(0.1);
    const hyper = {};
    const seen: number[][] = [];
    for (let t = 1; t <= 5; t++) seen.push(update(t, hyper).next);
    expect(calls).toEqual({ plan: 2, replan: 2 }); // update 1 plans both parts, update 2 replans them, 3–5 call neither
    const expected = [1, 1.5, 1.75, 1.875, 1.9375].map((k) => [-0.1 * k, 0.2 * k]);
    seen.forEach((v, i) => v.forEach((x, j) => expect(x).toBeCloseTo(expected[i][j], 6)));
    const [tr, lr] = state();
    expect([tr.count, tr.params!.w.count, lr.count]).toEqual([5, 5, 5]);
    // A new record (η = 0.2) plans again: v₆ = 1.96875·g, next = −0.2·v₆; then that record is steady again.
    const faster = { lr: 0.2 };
    const r6 = update(6, faster);
    expect(r6.used.lr).toBe(0.2);
    expect(r6.next[0]).toBeCloseTo(-0.2 * 1.96875, 6);
    expect(calls).toEqual({ plan: 2, replan: 4 });
    const r7 = update(7, faster);
    expect(r7.used).toBe(r6.used);
    expect(r7.next[0]).toBeCloseTo(-0.2 * 1.984375, 6);
    expect(calls).toEqual({ plan: 2, replan: 4 });
    expect([tr.count, tr.params!.w.count, lr.count]).toEqual([7, 7, 7]);
    dispose();
  });

  it('a schedule plans every update (η = 1/t: used.lr = 1, ½, ⅓, ¼, ⅕)', () => {
    // next = −η_t·v_t with v_t = (2 − 2^{1−t})·g: t = 4 → −¼·1.875.
    const { calls, update, dispose } = counted((t) => 1 / t);
    const hyper = {};
    const used: number[] = [];
    let last: number[] = [];
    for (let t = 1; t <= 5; t++) {
      const r = update(t, hyper);
      used.push(r.used.lr);
      if (t === 4) last = r.next;
    }
    expect(used).toEqual([1, 1 / 2, 1 / 3, 1 / 4, 1 / 5]);
    expect(calls).toEqual({ plan: 2, replan: 8 });
    expect(last[0]).toBeCloseTo(-1.875 / 4, 6);
    dispose();
  });

  it('a moment shared during steady updates: the parts plan again with the same values, new records with the right counts', () => {
    // After 3 updates v = 1.75·g in the trace's own storage; a clone then shares it, so update 4
    // writes a new array: v₄ = 1.875·g, the clone keeps 1.75·g; every count is 4.
    const { calls, update, state, dispose } = counted(0.1);
    const hyper = {};
    for (let t = 1; t <= 3; t++) update(t, hyper);
    const before = state()[0];
    const held = before.params!.w.trace!.clone();
    const r4 = update(4, hyper);
    expect(r4.next[1]).toBeCloseTo(0.2 * 1.875, 6);
    expect(calls.replan).toBe(4); // update 2, and update 4's fallback
    const after = state();
    expect(after[0]).not.toBe(before);
    expect([after[0].count, after[0].params!.w.count, after[1].count]).toEqual([4, 4, 4]);
    expect([before.count, before.params!.w.count]).toEqual([3, 3]); // the old records as they were
    expect(Array.from(held.dataSync())).toEqual([1.75, -3.5]);
    expect(Array.from(after[0].params!.w.trace!.dataSync())).toEqual([1.875, -3.75]);
    held.dispose();
    dispose();
  });
});
