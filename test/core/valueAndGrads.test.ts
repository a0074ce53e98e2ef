import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { valueAndGrads } from '../../src/valueAndGrads';
import { expectNoLeak } from '../helpers';

describe('valueAndGrads', () => {
  it('returns the loss and name-keyed gradients: L = Σ w² + 3b, ∂w = 2w = [2, −4], ∂b = 3', () => {
    const params = { w: tf.variable(tf.tensor1d([1, -2])), b: tf.variable(tf.scalar(5)) };
    const { value, grads } = valueAndGrads(() => tf.add(tf.sum(tf.square(params.w)), tf.mul(3, params.b)) as tf.Scalar, params);
    expect(value.dataSync()[0]).toBe(20);
    expect(Array.from(grads.w.dataSync())).toEqual([2, -4]);
    expect(grads.b.dataSync()[0]).toBe(3);
    tf.dispose([value, grads.w, grads.b, params.w, params.b]);
  });

  it('leaves no tensor behind when the loss throws after recording ops (tfjs alone leaks its tape)', async () => {
    const params = { w: tf.variable(tf.tensor2d([[1], [2]])) };
    const xs = tf.tensor2d([[1, 2]]);
    await expectNoLeak(() => {
      for (let i = 0; i < 3; i++) {
        expect(() =>
          valueAndGrads(() => {
            tf.matMul(xs, params.w as tf.Tensor2D);
            throw new Error('user bug');
          }, params),
        ).toThrow('user bug');
      }
      expect(() => valueAndGrads(() => tf.matMul(xs, params.w as tf.Tensor2D) as unknown as tf.Scalar, params)).toThrow(
        'Expected `loss` a scalar tensor (rank 0), got shape [1, 1]',
      );
    });
    // and gradients still work afterwards
    const { value, grads } = valueAndGrads(() => tf.sum(tf.matMul(xs, params.w as tf.Tensor2D)) as tf.Scalar, params);
    expect(Array.from(grads.w.dataSync())).toEqual([1, 2]);
    tf.dispose([value, grads.w, xs, params.w]);
  });
});

describe('valueAndGrads on an engine that has not computed a gradient yet', () => {
  // A fresh tfjs engine has no `activeTape` at all (undefined, not null) until its first gradient.
  const state = (tf.engine() as unknown as { state: { activeTape: unknown } }).state;

  it('rethrows the original error when variableGrads fails before recording (no "activeTape is not iterable")', () => {
    const before = state.activeTape;
    state.activeTape = undefined;
    try {
      expect(() => valueAndGrads(() => tf.scalar(1), {})).toThrow('expects at least one of the input variables to be trainable');
      const t = tf.scalar(2);
      expect(() => valueAndGrads(() => tf.scalar(1), { w: t as unknown as tf.Variable })).toThrow('must be an array of variables');
      t.dispose();
    } finally {
      state.activeTape = before;
    }
  });
});

describe('valueAndGrads with a loss that does not depend on any parameter', () => {
  it('fails with tfjs’s message and leaves the returned loss behind neither', async () => {
    const params = { w: tf.variable(tf.scalar(1)) };
    await expectNoLeak(() => {
      expect(() => valueAndGrads(() => tf.scalar(3), params)).toThrow('Cannot find a connection between any variable and the result');
    });
    params.w.dispose();
  });
});

describe('valueAndGrads with a parameter the loss does not use', () => {
  it('gives no gradient for it (like PyTorch’s grad None): the transforms then leave it and its state alone', () => {
    // L = Σ w  ⇒  ∂L/∂w = [1, 1]; `unused` takes no part in L.
    const params = { w: tf.variable(tf.tensor1d([3, 4])), unused: tf.variable(tf.tensor1d([7])) };
    const { value, grads } = valueAndGrads(() => tf.sum(params.w) as tf.Scalar, params);
    expect(Object.keys(grads)).toEqual(['w']);
    expect(Array.from(grads.w.dataSync())).toEqual([1, 1]);
    tf.dispose([value, grads.w, params.w, params.unused]);
  });
});
