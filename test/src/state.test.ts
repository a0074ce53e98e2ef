import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { disposeReplaced, disposeTree, restoreState, RxgradError, serializeState, tensorsIn } from '../../src/index';
import { advance, bits, OPTIMIZERS, problem } from './helpers';

describe('serializeState / restoreState', () => {
  for (const [name, make] of Object.entries(OPTIMIZERS)) {
    it(`${name}: a JSON round trip gives the bit-identical next update and state`, () => {
      const { params, grads } = problem();
      const opt = make();
      const state = advance(opt, params, grads, 5);
      const start = tf.memory().numTensors;
      const text = JSON.stringify(serializeState(state));
      const restored = restoreState(JSON.parse(text));
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
