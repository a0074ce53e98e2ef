import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, describe, expect, it } from 'vitest';
import { dense } from '../../src/models/dense';
import { mlp } from '../../src/models/mlp';
import { valueAndGrads } from '../../src/valueAndGrads';
import { disposeTree } from '../../src/tree';
import { expectNoLeak } from '../helpers';

afterAll(async () => {
  await tf.setBackend('cpu');
});

/** Relative agreement of two gradients, element by element, at float32 rounding of their sums. */
function expectSameGrad(actual: tf.Tensor, expected: tf.Tensor, name: string): void {
  expect(actual.shape, name).toEqual(expected.shape);
  const a = actual.dataSync();
  const e = expected.dataSync();
  const scale = Math.max(...Array.from(e, Math.abs));
  for (let i = 0; i < e.length; i++) expect(Math.abs(a[i] - e[i]), `${name}[${i}]`).toBeLessThanOrEqual(1e-6 * scale);
}

/** Two dense layers with a tanh between, loss Σ z² / 2: the gradients of both paths, by name. */
function twoLayerGrads(transposes: boolean): Record<string, tf.Tensor> {
  const g = tf.tidy(() => {
    const x = tf.variable(tf.randomUniform([37, 29], -1, 1, 'float32', 1) as tf.Tensor2D, true, 'x');
    const w1 = tf.variable(tf.randomUniform([29, 23], -1, 1, 'float32', 2) as tf.Tensor2D, true, 'w1');
    const b1 = tf.variable(tf.randomUniform([23], -1, 1, 'float32', 3) as tf.Tensor1D, true, 'b1');
    const w2 = tf.variable(tf.randomUniform([23, 5], -1, 1, 'float32', 4) as tf.Tensor2D, true, 'w2');
    const b2 = tf.variable(tf.randomUniform([5], -1, 1, 'float32', 5) as tf.Tensor1D, true, 'b2');
    const f = () => {
      const h = tf.tanh(dense(x, w1, b1, { transposes }));
      return tf.div(tf.sum(tf.square(dense(h as tf.Tensor2D, w2, b2, { transposes }))), 2) as tf.Scalar;
    };
    const { grads } = tf.variableGrads(f, [x, w1, b1, w2, b2]);
    for (const v of [x, w1, b1, w2, b2]) v.dispose();
    return grads;
  });
  return g;
}

describe('dense', () => {
  it('differentiates z = xW + b by hand: dW = xᵀ·1, db = n, dx = 1·Wᵀ for the loss Σ z', async () => {
    // x = [[1, 2], [3, 4]], W = [[1, 0], [0, 2]], b = [0.5, −1], L = Σ_ij z_ij:
    // dL/dz = ones [2, 2]; dW = xᵀ·ones = [[1+3, 1+3], [2+4, 2+4]] = [[4, 4], [6, 6]];
    // db = column sums of ones = [2, 2]; dx = ones·Wᵀ = rows [1+0, 0+2] = [[1, 2], [1, 2]].
    // Forward: z = [[1·1 + 2·0 + 0.5, 1·0 + 2·2 − 1], [3 + 0.5, 8 − 1]] = [[1.5, 3], [3.5, 7]].
    const x = tf.variable(tf.tensor2d([[1, 2], [3, 4]]));
    const w = tf.variable(tf.tensor2d([[1, 0], [0, 2]]));
    const b = tf.variable(tf.tensor1d([0.5, -1]));
    for (const transposes of [false, true]) {
      const z = dense(x, w, b, { transposes });
      expect(Array.from(z.dataSync())).toEqual([1.5, 3, 3.5, 7]);
      z.dispose();
      const { value, grads } = tf.variableGrads(() => tf.sum(dense(x, w, b, { transposes })), [x, w, b]);
      expect(Array.from(grads[w.name].dataSync())).toEqual([4, 4, 6, 6]);
      expect(Array.from(grads[b.name].dataSync())).toEqual([2, 2]);
      expect(Array.from(grads[x.name].dataSync())).toEqual([1, 2, 1, 2]);
      value.dispose();
      disposeTree(grads);
    }
    // A data input (inputGrad: false) gets no gradient; the weights' are the same; nothing is left behind.
    await expectNoLeak(() => {
      const { value, grads } = tf.variableGrads(() => tf.sum(dense(x, w, b, { transposes: true, inputGrad: false })), [w, b]);
      expect(Array.from(grads[w.name].dataSync())).toEqual([4, 4, 6, 6]);
      expect(Array.from(grads[b.name].dataSync())).toEqual([2, 2]);
      value.dispose();
      disposeTree(grads);
    });
    for (const v of [x, w, b]) v.dispose();
  });

  it('rejects shapes that do not chain, naming both', () => {
    const x = tf.zeros([2, 3]) as tf.Tensor2D;
    const w = tf.zeros([4, 1]) as tf.Tensor2D;
    const b = tf.zeros([2]) as tf.Tensor1D;
    expect(() => dense(x, w, b)).toThrow('Expected `dense` x [n, k] and w [k, m] (w is [4, 1]), got "x [2, 3]"');
    expect(() => dense(x, tf.zeros([3, 1]) as tf.Tensor2D, b)).toThrow('Expected `dense` b [1], got "b [2]"');
    tf.dispose([x, w, b]);
  });

  for (const backend of ['cpu', 'wasm']) {
    it(`on ${backend}, the explicit transposes give tfjs's own gradients (to float32 rounding), leaving no tensor behind`, async () => {
      expect(await tf.setBackend(backend)).toBe(true);
      await expectNoLeak(() => {
        const reference = twoLayerGrads(false);
        const ours = twoLayerGrads(true);
        for (const name of Object.keys(reference)) expectSameGrad(ours[name], reference[name], name);
        disposeTree(reference);
        disposeTree(ours);
      });
      await tf.setBackend('cpu');
    });

    it(`on ${backend}, an mlp's gradients are tfjs's own, leaving no tensor behind`, async () => {
      expect(await tf.setBackend(backend)).toBe(true);
      const before = tf.memory().numTensors;
      const model = mlp([12, 8, 3], { output: 'softmax', seed: 3 });
      const batch = { xs: tf.randomUniform([16, 12], -1, 1, 'float32', 9), ys: tf.tensor1d([0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0]) };
      const plain = tf.tidy(() => {
        // The same network written with tfjs ops only: tfjs's gradients are the reference.
        const { grads } = tf.variableGrads(() => {
          const p = model.params;
          const h = tf.relu(tf.add(tf.matMul(batch.xs as tf.Tensor2D, p.w1 as tf.Tensor2D), p.b1));
          const z = tf.add(tf.matMul(h as tf.Tensor2D, p.w2 as tf.Tensor2D), p.b2);
          return tf.losses.softmaxCrossEntropy(tf.oneHot(tf.cast(batch.ys, 'int32'), 3), z) as tf.Scalar;
        });
        return grads;
      });
      const { value, grads } = valueAndGrads(() => model.loss(model.params, batch), model.params);
      for (const name of ['w1', 'b1', 'w2', 'b2']) expectSameGrad(grads[name], plain[model.params[name].name], name);
      value.dispose();
      disposeTree(grads);
      disposeTree(plain);
      tf.dispose([batch.xs, batch.ys]);
      model.dispose();
      expect(tf.memory().numTensors).toBe(before);
      await tf.setBackend('cpu');
    });
  }
});
