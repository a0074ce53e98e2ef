import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import {
  adadelta,
  adagrad,
  adam,
  adamax,
  adamw,
  disposeReplaced,
  disposeTree,
  nadam,
  radam,
  rmsprop,
  RxgradError,
  serializeState,
  sgd,
  tensorsIn,
  type Transform,
} from '../../src/index';
import { advance, OPTIMIZERS, problem } from './helpers';

/** Per-parameter state objects of `name` anywhere in a state tree (`….params[name]`). */
function statesOf(state: unknown, name: string, out: unknown[] = []): unknown[] {
  if (Array.isArray(state)) for (const s of state) statesOf(s, name, out);
  else if (state !== null && typeof state === 'object' && !(state instanceof tf.Tensor)) {
    for (const [k, v] of Object.entries(state)) {
      if (k === 'params' && v && typeof v === 'object' && name in v) out.push((v as Record<string, unknown>)[name]);
      else statesOf(v, name, out);
    }
  }
  return out;
}

describe('every optimizer is pure and name-keyed', () => {
  for (const [name, make] of Object.entries(OPTIMIZERS)) {
    it(`${name}: update never mutates or frees its input state`, () => {
      const { params, grads } = problem();
      const opt = make();
      const s = advance(opt, params, grads, 3);
      const before = JSON.stringify(serializeState(s));
      const held = tensorsIn(s);
      const g = grads(4);
      const r = opt.update(g, s, params);
      expect(JSON.stringify(serializeState(s))).toBe(before);
      expect(held.every((t) => !t.isDisposed)).toBe(true);
      // Updates are fresh tensors: neither the gradients nor tensors of the new state.
      const owned = new Set([...tensorsIn(r.state), ...Object.values(g)]);
      expect(Object.values(r.updates).some((u) => owned.has(u))).toBe(false);
      disposeTree([s, r, g, params]);
    });

    it(`${name}: a subset of gradients leaves the other parameters' state untouched`, () => {
      const { params, grads } = problem();
      const opt = make();
      const s = advance(opt, params, grads, 2);
      const g = grads(3);
      const r = opt.update({ a: g.a }, s, params);
      expect(Object.keys(r.updates)).toEqual(['a']);
      const bBefore = statesOf(s, 'b');
      const bAfter = statesOf(r.state, 'b');
      expect(bAfter).toHaveLength(bBefore.length);
      bAfter.forEach((st, i) => expect(st).toBe(bBefore[i])); // the very same objects
      statesOf(r.state, 'a').forEach((st) => expect((st as { count: number }).count).toBe(3));
      disposeReplaced(s, r.state);
      disposeTree([r, g, params]);
    });

    it(`${name}: a gradient for an unknown parameter throws, naming it`, () => {
      const { params } = problem();
      const opt = make();
      const s = opt.init(params);
      const c = tf.zeros([2]);
      expect(() => opt.update({ c }, s, params)).toThrow(RxgradError);
      expect(() => opt.update({ c }, s, params)).toThrow(/`grads\.c`|`gradients\.c`/);
      disposeTree([s, c, params]);
    });

    it(`${name}: a gradient of the wrong shape throws, naming the parameter and both shapes`, () => {
      const { params } = problem();
      const opt = make();
      const s = opt.init(params);
      const g = tf.ones([3, 2]);
      expect(() => opt.update({ a: g }, s, params)).toThrow('Expected `grads.a` shape [2, 3] (the parameter\'s), got shape [3, 2]');
      disposeTree([s, g, params]);
    });

    it(`${name}: tf.memory().numTensors stays flat over 300 updates and returns to its start`, () => {
      const { params, grads } = problem();
      const start = tf.memory().numTensors;
      const opt = make();
      let state = opt.init(params);
      let afterWarmup = 0;
      for (let t = 1; t <= 300; t++) {
        const g = grads(t);
        const r = opt.update(g, state, params);
        disposeReplaced(state, r.state);
        disposeTree([g, r.updates]);
        state = r.state;
        if (t === 2) afterWarmup = tf.memory().numTensors; // lazy buffers (momentum) exist from step 1
        if (t > 2) expect(tf.memory().numTensors).toBe(afterWarmup);
      }
      disposeTree(state);
      expect(tf.memory().numTensors).toBe(start);
      disposeTree(params);
    });
  }
});

describe('defaults are PyTorch 2.x defaults', () => {
  // From the PyTorch documentation of each class (torch.optim, 2.x).
  const cases: [string, Transform<any>, Record<string, number>][] = [
    ['SGD', sgd(), { lr: 1e-3, momentum: 0, dampening: 0, weightDecay: 0 }],
    ['Adagrad', adagrad(), { lr: 1e-2, lrDecay: 0, eps: 1e-10, weightDecay: 0 }],
    ['RMSprop', rmsprop(), { lr: 1e-2, alpha: 0.99, eps: 1e-8, momentum: 0, weightDecay: 0 }],
    ['Adadelta', adadelta(), { lr: 1, rho: 0.9, eps: 1e-6, weightDecay: 0 }],
    ['Adam', adam(), { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 }],
    ['AdamW', adamw(), { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 1e-2 }],
    ['Adamax', adamax(), { lr: 2e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 }],
    ['NAdam', nadam(), { lr: 2e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, momentumDecay: 4e-3 }],
    ['RAdam', radam(), { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 }],
  ];
  for (const [torch, opt, expected] of cases) {
    it(`${torch}: the values used by a first update are ${JSON.stringify(expected)}`, () => {
      const p = { w: tf.tensor1d([1, 2]) };
      const g = { w: tf.tensor1d([0.5, -0.5]) };
      const s = opt.init(p);
      const r = opt.update(g, s, p);
      expect(r.used).toMatchObject(expected);
      disposeTree([p, g, s, r]);
    });
  }

  it('AdaGrad starts its accumulator at 0 (PyTorch initial_accumulator_value)', () => {
    // s_1 = 0 + 3² = 9: u = −0.01·3/(√9 + 1e-10) = −0.01.
    const p = { w: tf.tensor1d([0]) };
    const opt = adagrad();
    const s = opt.init(p);
    const r = opt.update({ w: tf.tensor1d([3]) }, s, p);
    expect(r.updates.w.dataSync()[0]).toBeCloseTo(-0.01, 8);
  });
});

describe('options are validated when an optimizer is built', () => {
  const bad: [string, () => unknown, string][] = [
    ['negative lr', () => sgd({ lr: -0.1 }), 'Expected `lr` ≥ 0, got -0.1'],
    ['NaN lr', () => adam({ lr: NaN }), 'Expected `lr` ≥ 0, got NaN'],
    ['lr as a string', () => adam({ lr: '0.1' as unknown as number }), 'Expected `lr` a number or a schedule (step => value), got "0.1"'],
    ['negative momentum', () => sgd({ momentum: -0.5 }), 'Expected `momentum` ≥ 0, got -0.5'],
    ['dampening > 1', () => sgd({ momentum: 0.9, dampening: 1.5 }), 'Expected `dampening` in [0, 1], got 1.5'],
    ['negative weight decay', () => sgd({ weightDecay: -1 }), 'Expected `weightDecay` ≥ 0, got -1'],
    ['nesterov without momentum', () => sgd({ nesterov: true }), 'Expected `nesterov` to come with momentum > 0 and dampening 0, got momentum 0, dampening 0'],
    ['nesterov with dampening', () => sgd({ nesterov: true, momentum: 0.9, dampening: 0.1 }), 'Expected `nesterov` to come with momentum > 0 and dampening 0, got momentum 0.9, dampening 0.1'],
    ['nesterov not a boolean', () => sgd({ nesterov: 1 as unknown as boolean }), 'Expected `nesterov` a boolean, got 1'],
    ['negative lrDecay', () => adagrad({ lrDecay: -0.01 }), 'Expected `lrDecay` ≥ 0, got -0.01'],
    ['negative initial accumulator', () => adagrad({ initialAccumulatorValue: -1 }), 'Expected `initialAccumulatorValue` ≥ 0, got -1'],
    ['negative eps', () => adagrad({ eps: -1e-10 }), 'Expected `eps` ≥ 0, got -1e-10'],
    ['epsInSqrt not a boolean', () => adagrad({ epsInSqrt: 'yes' as unknown as boolean }), 'Expected `epsInSqrt` a boolean, got "yes"'],
    ['alpha > 1', () => rmsprop({ alpha: 1.5 }), 'Expected `alpha` in [0, 1], got 1.5'],
    ['centered not a boolean', () => rmsprop({ centered: null as unknown as boolean }), 'Expected `centered` a boolean, got null'],
    ['rho > 1', () => adadelta({ rho: 1.1 }), 'Expected `rho` in [0, 1], got 1.1'],
    ['beta1 = 1.2', () => adam({ beta1: 1.2 }), 'Expected `beta1` in [0, 1), got 1.2'],
    ['beta2 = 1', () => adamw({ beta2: 1 }), 'Expected `beta2` in [0, 1), got 1'],
    ['negative beta1', () => adamax({ beta1: -0.1 }), 'Expected `beta1` in [0, 1), got -0.1'],
    ['amsgrad not a boolean', () => adam({ amsgrad: 'true' as unknown as boolean }), 'Expected `amsgrad` a boolean, got "true"'],
    ['negative momentumDecay', () => nadam({ momentumDecay: -4e-3 }), 'Expected `momentumDecay` ≥ 0, got -0.004'],
    ['beta2 ≥ 1 in radam', () => radam({ beta2: 1.5 }), 'Expected `beta2` in [0, 1), got 1.5'],
    ['PyTorch snake_case', () => adam({ weight_decay: 0.1 } as never), "Expected `options.weight_decay` one of adam's options (lr, beta1, beta2, eps, weightDecay, amsgrad, fused), got an unknown option"],
    ['betas as in PyTorch', () => radam({ betas: [0.9, 0.99] } as never), "Expected `options.betas` one of radam's options"],
    ['options not an object', () => sgd(0.1 as never), 'Expected `options` an object of sgd options, got 0.1'],
  ];
  for (const [what, build, message] of bad) {
    it(`${what}: ${message}`, () => {
      expect(build).toThrow(RxgradError);
      expect(build).toThrow(message);
    });
  }

  it('a schedule or a streamed value out of range fails the update, naming the hyperparameter', () => {
    const p = { w: tf.tensor1d([1]) };
    const g = { w: tf.tensor1d([1]) };
    const scheduled = adam({ beta1: (t) => (t < 2 ? 0.9 : 1) });
    const s1 = scheduled.init(p);
    const r1 = scheduled.update(g, s1, p);
    expect(() => scheduled.update(g, r1.state, p)).toThrow('Expected `beta1` in [0, 1), got 1');
    const streamed = sgd({ lr: 0.1, momentum: 0.9, nesterov: true });
    const s2 = streamed.init(p);
    expect(() => streamed.update(g, s2, p, { hyper: { lr: -1 } })).toThrow('Expected `lr` ≥ 0, got -1');
    expect(() => streamed.update(g, s2, p, { hyper: { momentum: 0 } })).toThrow('Expected `nesterov` to come with momentum > 0');
    disposeTree([p, g, s1, r1, s2]);
  });

  it('weight decay without parameters fails the update with a clear error', () => {
    const g = { w: tf.tensor1d([1]) };
    const opt = adam({ weightDecay: 0.1 });
    const s = opt.init({ w: g.w });
    expect(() => opt.update(g, s)).toThrow('Expected `params` the parameters when weightDecay ≠ 0 (u = g + λ·x), got none');
    disposeTree([g, s]);
  });
});
