import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { lastValueFrom, map, of, toArray } from 'rxjs';
import {
  adam,
  addDecayedWeights,
  chain,
  checkStateLayout,
  disposeReplaced,
  disposeTree,
  masked,
  multiTransform,
  restoreState,
  RxgradError,
  scaleByLearningRate,
  serializeState,
  setToZero,
  sgd,
  type Tensors,
  type Transform,
} from '../../../src/index';
import { applyUpdates, gradients, hyper, learningRate, optimize } from '../../../streams/index';
import type { Batch, Step } from '../../../streams/Step';
import { expectNoLeak } from '../../helpers';

const vals = (r: { updates: Tensors }): Record<string, number[]> => Object.fromEntries(Object.entries(r.updates).map(([n, t]) => [n, Array.from(t.dataSync())]));

/** One update of `t` from its init state on params w = [2], b = [2] and gradients w = [1], b = [2]; everything freed. */
function once(t: Transform<any>, ctx?: { hyper: Record<string, number> }) {
  const p = { w: tf.tensor([2]), b: tf.tensor([2]) };
  const g = { w: tf.tensor([1]), b: tf.tensor([2]) };
  const s = t.init(p);
  const r = t.update(g, s, p, ctx);
  const out = { updates: vals(r), used: r.used, info: r.info, state: serializeState(r.state).state };
  disposeReplaced(s, r.state);
  disposeTree([p, g, r]);
  return out;
}

describe('multiTransform', () => {
  it('each group updated by its own transform, its hyperparameters reported per group', async () => {
    await expectNoLeak(() => {
      const r = once(multiTransform({ a: sgd({ lr: 0.1 }), b: sgd({ lr: 0.01 }) }, (name) => (name === 'w' ? 'a' : 'b')));
      // u_w = −0.1·1 = −0.1, u_b = −0.01·2 = −0.02
      expect(r.updates.w[0]).toBeCloseTo(-0.1, 7);
      expect(r.updates.b[0]).toBeCloseTo(-0.02, 7);
      expect(r.used).toMatchObject({ 'a.lr': 0.1, 'b.lr': 0.01 });
    });
  });

  it('patterns: no weight decay on biases', () => {
    const r = once(multiTransform({ noDecay: scaleByLearningRate(1), decay: chain(addDecayedWeights(0.5), scaleByLearningRate(1)) }, { noDecay: /b$/, decay: /^/ }));
    // w: −(g + λx) = −(1 + 0.5·2) = −2; b: −g = −2 (no decay)
    expect(r.updates).toEqual({ w: [-2], b: [-2] });
    expect(r.used).toEqual({ 'noDecay.lr': 1, 'decay.weightDecay': 0.5, 'decay.lr': 1 });
  });

  it('ctx.hyper["label.name"] wins over ctx.hyper[name], which wins over the option', () => {
    const t = multiTransform({ a: sgd({ lr: 0.1 }), b: sgd({ lr: 0.1 }) }, { a: /^w$/, b: /^b$/ });
    expect(t.hyper).toEqual(expect.arrayContaining(['lr', 'a.lr', 'b.lr', 'momentum', 'a.momentum']));
    const r = once(t, { hyper: { lr: 0.5, 'a.lr': 0.2 } });
    // a (w): lr 0.2 → −0.2·1; b: lr 0.5 → −0.5·2 = −1
    expect(r.updates.w[0]).toBeCloseTo(-0.2, 7);
    expect(r.updates.b[0]).toBeCloseTo(-1, 7);
    expect(r.used).toMatchObject({ 'a.lr': 0.2, 'b.lr': 0.5 });
  });

  it('state by group: serialize/restore round trip gives the same next update; layouts checked per group', async () => {
    const t = multiTransform({ a: adam({ lr: 0.1 }), b: sgd({ lr: 0.1, momentum: 0.9 }) }, (n) => (n === 'w' ? 'a' : 'b'));
    const p = { w: tf.tensor([2]), b: tf.tensor([2]) };
    const g = { w: tf.tensor([1]), b: tf.tensor([2]) };
    await expectNoLeak(() => {
      const s0 = t.init(p);
      expect(Object.keys(s0)).toEqual(['a', 'b']);
      const r1 = t.update(g, s0, p);
      disposeReplaced(s0, r1.state);
      const back = restoreState(JSON.parse(JSON.stringify(serializeState(r1.state))), t, p);
      const x = t.update(g, r1.state, p);
      const y = t.update(g, back, p);
      expect(vals(y)).toEqual(vals(x));
      // momentum: v₂ = 0.9·2 + 2 = 3.8 → u_b = −0.38; adam with constant g: m̂/√v̂ = 1 → u_w = −0.1
      expect(vals(x).b[0]).toBeCloseTo(-0.38, 6);
      expect(vals(x).w[0]).toBeCloseTo(-0.1, 6);
      const swapped = { a: back.b, b: back.a };
      expect(() => checkStateLayout(swapped, t, p)).toThrow(/`state\.a/);
      disposeTree([r1, x, y, back]);
    });
    disposeTree([p, g]);
  });

  it('a group without gradients this update keeps its state object', () => {
    const t = multiTransform({ a: sgd({ lr: 0.1, momentum: 0.9 }), b: sgd({ lr: 0.1, momentum: 0.9 }) }, (n) => (n === 'w' ? 'a' : 'b'));
    const p = { w: tf.tensor([2]), b: tf.tensor([2]) };
    const s = t.init(p);
    const g = { w: tf.tensor([1]) };
    const r = t.update(g, s, p);
    expect(r.state.b).toBe(s.b);
    expect(Object.keys(r.updates)).toEqual(['w']);
    disposeReplaced(s, r.state);
    disposeTree([p, g, r]);
  });

  it('rejects bad groups and labels, naming the field', () => {
    const p = { w: tf.tensor([2]), b: tf.tensor([2]) };
    expect(() => multiTransform({}, () => 'a')).toThrow('`transforms`');
    expect(() => multiTransform({ a: {} as Transform }, () => 'a')).toThrow('`transforms.a`');
    expect(() => multiTransform({ 'a.b': sgd() }, () => 'a.b')).toThrow('`transforms.a.b`');
    expect(() => multiTransform({ a: sgd() }, { a: 'w' as unknown as RegExp })).toThrow('Expected `labels.a` a RegExp');
    expect(() => multiTransform({ a: sgd() }, { z: /w/ })).toThrow('`labels.z`');
    expect(() => multiTransform({ a: sgd() }, () => 'z').init(p)).toThrow('Expected `labels(w)` one of the groups (a), got "z"');
    expect(() => multiTransform({ a: sgd() }, { a: /^w$/ }).init(p)).toThrow('a pattern matching the parameter `b`');
    expect(() => multiTransform({ a: sgd() }, () => 'a').init(p)).not.toThrow(RxgradError);
    disposeTree(p);
  });
});

describe('setToZero', () => {
  it('freezes a group: zero updates, null state', async () => {
    await expectNoLeak(() => {
      const r = once(multiTransform({ frozen: setToZero(), trained: sgd({ lr: 0.1 }) }, { frozen: /^b$/, trained: /^/ }));
      // b frozen: 0; w: −0.1·1
      expect(r.updates.b).toEqual([0]);
      expect(r.updates.w[0]).toBeCloseTo(-0.1, 7);
      expect(r.state).toEqual({ frozen: null, trained: expect.anything() });
    });
  });
});

describe('masked', () => {
  it('applies the transform to the masked parameters, passes the others through', async () => {
    await expectNoLeak(() => {
      const r = once(chain(masked(addDecayedWeights(0.5), /^w$/), scaleByLearningRate(1)));
      // w: −(1 + 0.5·2) = −2; b: −2 (g passed through, then −lr·g)
      expect(r.updates).toEqual({ w: [-2], b: [-2] });
    });
  });

  it('keeps state for the masked parameters only', () => {
    const r = once(masked(sgd({ lr: 1, momentum: 0.5 }), (name) => name === 'b'));
    // b: v₁ = g = 2 → u = −2; w passes through: 1
    expect(r.updates).toEqual({ w: [1], b: [-2] });
    expect(Object.keys((r.state as { params: object }[])[0].params)).toEqual(['b']);
  });

  it('rejects a bad mask', () => {
    const p = { w: tf.tensor([2]) };
    expect(() => masked(sgd(), 'w' as unknown as RegExp)).toThrow('`mask`');
    expect(() => masked({} as Transform, /w/)).toThrow('`inner`');
    expect(() => masked(sgd(), () => 1 as unknown as boolean).init(p)).toThrow('Expected `mask(w)` a boolean, got 1');
    disposeTree(p);
  });
});

describe('parameter groups in a pipeline', () => {
  /** loss = ½(w² + b²)·s summed: g_w = w, g_b = b (batch ignored). */
  const quad = (params: Record<string, tf.Variable>) => tf.tidy(() => tf.add(tf.sum(tf.square(params.w)), tf.sum(tf.square(params.b))).mul(0.5)) as tf.Scalar;
  const step = (k: number): Step<Batch> => ({ step: k, epoch: 1, batch: { xs: tf.zeros([1]), ys: tf.zeros([1]) }, size: 1, examples: k, startedAt: 0, hyper: {} });

  it('a per-group lr from a stream, reported per group in the StepResult', async () => {
    const params = { w: tf.variable(tf.tensor([1])), b: tf.variable(tf.tensor([1])) };
    await expectNoLeak(async () => {
      const results = await lastValueFrom(
        of(1, 2).pipe(
          map(step),
          gradients((p) => quad(p), params),
          learningRate(0.5),
          hyper('head.lr', (t) => 0.1 * t),
          optimize(multiTransform({ body: sgd(), head: sgd() }, { head: /^w$/, body: /^b$/ })),
          applyUpdates(params, { track: ['w', 'b'] }),
          toArray(),
        ),
      );
      // w (head): lr 0.1 at t = 1: 1 − 0.1·1 = 0.9; t = 2: 0.9 − 0.2·0.9 = 0.72
      // b (body): lr 0.5: 1 → 0.5 → 0.25
      expect(results[1].values!.w[0]).toBeCloseTo(0.72, 6);
      expect(results[1].values!.b[0]).toBeCloseTo(0.25, 6);
      expect(results[1].hyper).toMatchObject({ lr: 0.5, 'head.lr': 0.2, 'body.lr': 0.5 });
    });
    disposeTree(params);
  });

  it('a group hyperparameter no group reads fails the step, listing the valid ones', async () => {
    const params = { w: tf.variable(tf.tensor([1])), b: tf.variable(tf.tensor([1])) };
    await expectNoLeak(async () => {
      const run = of(1).pipe(map(step), gradients((p) => quad(p), params), hyper('tail.lr', 0.1), optimize(multiTransform({ body: sgd(), head: sgd() }, { head: /^w$/, body: /^b$/ })), applyUpdates(params));
      await expect(lastValueFrom(run)).rejects.toThrow(/`hyper\.tail\.lr`.*head\.lr/);
    });
    disposeTree(params);
  });
});
