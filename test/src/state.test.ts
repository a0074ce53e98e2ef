import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { adam, checkStateLayout, cloneState, disposeReplaced, disposeTree, restoreState, RxgradError, serializeState, sgd, tensorsIn } from '../../src/index';
import { advance, bits, OPTIMIZERS, problem } from './helpers';

describe('serializeState / restoreState', () => {
  for (const [name, make] of Object.entries(OPTIMIZERS)) {
    it(`${name}: a JSON round trip gives the bit-identical next update and state`, () => {
      const { params, grads } = problem();
      const opt = make();
      const state = advance(opt, params, grads, 5);
      const start = tf.memory().numTensors;
      const text = JSON.stringify(serializeState(state));
      const restored = restoreState(JSON.parse(text), opt, params);
      const fresh = tensorsIn(restored);
      expect(fresh).toHaveLength(tensorsIn(state).length);
      expect(fresh.some((t) => tensorsIn(state).includes(t))).toBe(false);
      const g = grads(6);
      const a = opt.update(g, state, params);
      const b = opt.update(g, restored, params);
      for (const n of Object.keys(params)) expect(bits(b.updates[n])).toEqual(bits(a.updates[n]));
      expect(JSON.stringify(serializeState(b.state))).toBe(JSON.stringify(serializeState(a.state)));
      disposeReplaced(restored, b.state);
      disposeTree([b]);
      expect(tf.memory().numTensors).toBe(start + tensorsIn(a).length + Object.keys(g).length);
      disposeReplaced(state, a.state);
      disposeTree([a, g, params]);
    });
  }

  it('writes tensors as { shape, dtype, values } and keeps NaN, ±Infinity and −0 exactly', () => {
    const state = { count: 2, params: { w: { m: tf.tensor1d([1.5, NaN, Infinity, -Infinity, -0, 0]), flag: true, none: null } }, k: tf.tensor1d([3], 'int32') };
    const json = serializeState(state);
    expect(json).toEqual({
      format: 'rxgrad-state',
      version: 1,
      state: {
        count: 2,
        params: { w: { m: { shape: [6], dtype: 'float32', values: [1.5, 'NaN', 'Infinity', '-Infinity', '-0', 0] }, flag: true, none: null } },
        k: { shape: [1], dtype: 'int32', values: [3] },
      },
    });
    const back = restoreState<typeof state>(JSON.parse(JSON.stringify(json)));
    expect(bits(back.params.w.m)).toEqual(bits(state.params.w.m));
    expect(back.k.dtype).toBe('int32');
    expect(back.params.w.flag).toBe(true);
    disposeTree([state, back]);
  });

  const invalid: [string, unknown, string][] = [
    ['not an object', 'adam', 'Expected `json` an object'],
    ['wrong format', { format: 'torch', version: 1, state: {} }, 'Expected `json.format` "rxgrad-state", got "torch"'],
    ['wrong version', { format: 'rxgrad-state', version: 2, state: {} }, 'Expected `json.version` 1, got 2'],
    ['no state', { format: 'rxgrad-state', version: 1 }, 'Expected `json.state` the serialized state, got undefined'],
    [
      'too few values',
      { format: 'rxgrad-state', version: 1, state: [{ count: 1, params: { w: { m: { shape: [2, 3], dtype: 'float32', values: [1, 2] } } } }] },
      'Expected `state[0].params.w.m.values` an array of 6 values (shape [2, 3]), got [1, 2]',
    ],
    [
      'a bad value',
      { format: 'rxgrad-state', version: 1, state: { m: { shape: [2], dtype: 'float32', values: [1, 'one'] } } },
      'Expected `state.m.values[1]` a number, "NaN", "Infinity", "-Infinity" or "-0", got "one"',
    ],
    ['a bad dtype', { format: 'rxgrad-state', version: 1, state: { m: { shape: [1], dtype: 'float64', values: [1] } } }, 'Expected `state.m.dtype` one of float32, int32, bool, got "float64"'],
    ['a bad shape', { format: 'rxgrad-state', version: 1, state: { m: { shape: [-1], dtype: 'float32', values: [] } } }, 'Expected `state.m.shape` an array of non-negative integers, got [-1]'],
    ['a tensor with extra keys', { format: 'rxgrad-state', version: 1, state: { m: { shape: [1], dtype: 'float32', values: [1], name: 'x' } } }, 'Expected `state.m` a serialized tensor with exactly the keys shape, dtype, values, got keys dtype,name,shape,values'],
    ['a non-integer int32', { format: 'rxgrad-state', version: 1, state: { k: { shape: [1], dtype: 'int32', values: [1.5] } } }, 'Expected `state.k.values[0]` a int32 value, got 1.5'],
  ];
  for (const [what, json, message] of invalid) {
    it(`rejects ${what}: ${message}`, () => {
      const before = tf.memory().numTensors;
      expect(() => restoreState(json)).toThrow(RxgradError);
      expect(() => restoreState(json)).toThrow(message);
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  it('a restore failing after some tensors were made frees them', () => {
    const good = { shape: [1], dtype: 'float32', values: [1] };
    const json = { format: 'rxgrad-state', version: 1, state: [good, good, { shape: [1], dtype: 'float32', values: [] }] };
    const before = tf.memory().numTensors;
    expect(() => restoreState(json)).toThrow('Expected `state[2].values` an array of 1 values');
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses what JSON cannot hold, naming the path', () => {
    const t = tf.tensor1d([1]);
    t.dispose();
    expect(() => serializeState({ params: { w: { m: t } } })).toThrow('Expected `state.params.w.m` a live tensor, got a disposed tensor');
    expect(() => serializeState([{ count: NaN }])).toThrow('Expected `state[0].count` a finite number (JSON cannot hold others outside tensors), got NaN');
    expect(() => serializeState({ f: () => 1 })).toThrow('Expected `state.f` a tensor, number, boolean, string, null, array or plain object, got a function');
    expect(() => serializeState({ dtype: 'float32' })).toThrow('Expected `state.dtype` to be absent from a plain state object');
  });
});

describe('restoreState against the optimizer’s state layout', () => {
  const params = () => ({ w: tf.tensor2d([[1], [2]]), b: tf.tensor1d([0]) });
  /** An optimizer's state after 2 updates on g = 1, serialized; the tensors freed. */
  const saved = (opt: ReturnType<typeof sgd>, p: ReturnType<typeof params>) => {
    let state = opt.init(p);
    for (let t = 0; t < 2; t++) {
      const g = { w: tf.onesLike(p.w), b: tf.onesLike(p.b) };
      const r = opt.update(g, state, p);
      disposeReplaced(state, r.state);
      disposeTree([g, r.updates]);
      state = r.state;
    }
    const json = JSON.parse(JSON.stringify(serializeState(state)));
    disposeTree(state);
    return json;
  };
  /** `json` with `edit` applied to its state tree. */
  const edited = (json: { state: unknown }, edit: (state: any) => void) => {
    const copy = JSON.parse(JSON.stringify(json));
    edit(copy.state);
    return copy;
  };

  // sgd with momentum: [addDecayedWeights {}, trace { count, params: { w: { trace, count }, b: … } }, scaleByLearningRate { count }]
  const cases: [string, (p: ReturnType<typeof params>) => unknown, string][] = [
    [
      'an adam state given to sgd',
      (p) => saved(adam({ lr: 0.1 }), p),
      "Expected `state[1].params.b` an object with the keys count, trace (the optimizer's state layout), got an object with the keys count, m, v, vMax",
    ],
    ['a count of 0.5', (p) => edited(saved(sgd({ lr: 0.1, momentum: 0.9 }), p), (s) => (s[1].count = 0.5)), 'Expected `state[1].count` a non-negative safe integer'],
    ['a count of 1e300', (p) => edited(saved(sgd({ lr: 0.1, momentum: 0.9 }), p), (s) => (s[2].count = 1e300)), 'Expected `state[2].count` a non-negative safe integer'],
    ['a negative count', (p) => edited(saved(sgd({ lr: 0.1, momentum: 0.9 }), p), (s) => (s[1].params.w.count = -1)), 'Expected `state[1].params.w.count` a non-negative safe integer'],
    [
      'int32 moments',
      (p) => edited(saved(sgd({ lr: 0.1, momentum: 0.9 }), p), (s) => (s[1].params.w.trace = { shape: [2, 1], dtype: 'int32', values: [1, 2] })),
      "Expected `state[1].params.w.trace` null or a float32 tensor of shape [2, 1] (the optimizer's state layout), got an int32 tensor of shape [2, 1]",
    ],
    [
      'a moment of another shape',
      (p) => edited(saved(sgd({ lr: 0.1, momentum: 0.9 }), p), (s) => (s[1].params.b.trace = { shape: [2], dtype: 'float32', values: [1, 2] })),
      "Expected `state[1].params.b.trace` null or a float32 tensor of shape [1] (the optimizer's state layout), got a float32 tensor of shape [2]",
    ],
    [
      'a missing parameter',
      (p) => edited(saved(sgd({ lr: 0.1, momentum: 0.9 }), p), (s) => delete s[1].params.b),
      "Expected `state[1].params` an object with the keys b, w (the optimizer's state layout), got an object with the keys w",
    ],
    ['a state of another chain length', (p) => edited(saved(sgd({ lr: 0.1, momentum: 0.9 }), p), (s) => s.pop()), 'Expected `state` an array of length 3'],
  ];
  for (const [what, make, message] of cases) {
    it(`rejects ${what}, naming the field, and leaks nothing`, () => {
      const p = params();
      const json = make(p);
      const before = tf.memory().numTensors;
      expect(() => restoreState(json, sgd({ lr: 0.1, momentum: 0.9 }), p)).toThrow(RxgradError);
      expect(() => restoreState(json, sgd({ lr: 0.1, momentum: 0.9 }), p)).toThrow(message);
      expect(tf.memory().numTensors).toBe(before);
      disposeTree(p);
    });
  }

  it('accepts the lazily made momentum buffer as null (before the first update) or as a tensor', () => {
    const p = params();
    const opt = sgd({ lr: 0.1, momentum: 0.9 });
    const fresh = opt.init(p);
    const before = tf.memory().numTensors;
    expect(() => checkStateLayout(fresh, opt, p)).not.toThrow();
    const restored = restoreState(saved(opt, p), opt, p);
    expect(tf.memory().numTensors).toBe(before + 2); // the two momentum buffers
    disposeTree([fresh, restored, p]);
  });

  it('rejects a state whose tensors were disposed (optimize({ state }) after the caller freed it), naming the field', () => {
    const p = params();
    const opt = adam({ lr: 0.1 });
    const state = opt.init(p);
    disposeTree(state);
    const before = tf.memory().numTensors;
    expect(() => checkStateLayout(state, opt, p, 'options.state')).toThrow(
      "Expected `options.state[1].params.b.m` a tensor not yet disposed (the optimizer's state layout), got a disposed float32 tensor of shape [1]",
    );
    expect(tf.memory().numTensors).toBe(before);
    disposeTree(p);
  });

  it('needs the parameters with a transform', () => {
    expect(() => restoreState({ format: 'rxgrad-state', version: 1, state: [] }, sgd())).toThrow('Expected `params` the parameters the state belongs to');
  });

  it('cloneState gives tensors of its own', () => {
    const state = { count: 1, params: { w: { m: tf.tensor1d([1, 2]) } } };
    const copy = cloneState(state);
    disposeTree(state);
    expect(Array.from(copy.params.w.m.dataSync())).toEqual([1, 2]);
    expect(copy.count).toBe(1);
    disposeTree(copy);
  });
});
