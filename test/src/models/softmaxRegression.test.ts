import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { softmaxRegression } from '../../../src/models/softmaxRegression';
import { valueAndGrads } from '../../../src/valueAndGrads';
import { disposeTree } from '../../../src/tree';
import { expectNoLeak } from '../../helpers';
import { exampleBatch, randomBatch } from './exampleBatch';

const close = (actual: ArrayLike<number>, expected: readonly number[], digits = 6) =>
  expected.forEach((e, i) => expect(actual[i]).toBeCloseTo(e, digits));

describe('softmaxRegression', () => {
  it('starts at zero: loss log k and the gradient xᵀ(p − onehot(y))', async () => {
    await expectNoLeak(() => {
      const m = softmaxRegression(2, 3);
      // x = [1, 2], y = 2; z = 0 so p = [⅓, ⅓, ⅓], loss = −log ⅓ = log 3 = 1.0986123
      // p − onehot = [⅓, ⅓, −⅔]; ∂W = [1, 2]ᵀ [⅓, ⅓, −⅔] = [[⅓, ⅓, −⅔], [⅔, ⅔, −4/3]]; ∂b = [⅓, ⅓, −⅔]
      for (const batch of [{ xs: tf.tensor2d([[1, 2]]), ys: tf.tensor1d([2], 'int32') }, exampleBatch([[1, 2]], [2])]) {
        const { value, grads } = valueAndGrads(() => m.loss(m.params, batch), m.params);
        expect(value.dataSync()[0]).toBeCloseTo(Math.log(3), 6);
        close(grads.w.dataSync(), [1 / 3, 1 / 3, -2 / 3, 2 / 3, 2 / 3, -4 / 3]);
        close(grads.b.dataSync(), [1 / 3, 1 / 3, -2 / 3]);
        disposeTree([value, grads, 'xs' in batch ? batch : undefined]);
      }
      m.dispose();
    });
  });

  it('averages over the batch and predicts the argmax', () => {
    const m = softmaxRegression(1, 2);
    m.params.w.assign(tf.tensor2d([[0, Math.log(3)]]));
    // x = 1: z = [0, log 3], p = [¼, ¾]; x = −1: z = [0, −log 3], p = [¾, ¼]
    // labels [1, 1]: loss = ½ (−log ¾ − log ¼) = ½ (0.2876821 + 1.3862944) = 0.8369882
    // ∂b = ½ ([¼, −¼] + [¾, −¾]) = [½, −½]; ∂W = ½ (1·[¼, −¼] + (−1)·[¾, −¾]) = [−¼, ¼]
    const batch = exampleBatch([[1], [-1]], [1, 1]);
    const { value, grads } = valueAndGrads(() => m.loss(m.params, batch), m.params);
    expect(value.dataSync()[0]).toBeCloseTo(0.8369882, 6);
    close(grads.b.dataSync(), [0.5, -0.5]);
    close(grads.w.dataSync(), [-0.25, 0.25]);
    const xs = tf.tensor2d([[1], [-1]]);
    const cls = m.predict(m.params, xs);
    expect(Array.from(cls.dataSync())).toEqual([1, 0]);
    disposeTree([value, grads, xs, cls]);
    m.dispose();
  });

  it('scoreRows equals predictProba, with no tensor made', () => {
    const m = softmaxRegression(4, 5, { init: { seed: 2, std: 1 } });
    const batch = randomBatch(6, 4, (i) => i % 5);
    const xs = tf.tensor2d(batch.x, [6, 4]);
    const proba = m.predictProba!(m.params, xs);
    const out = new Float32Array(30);
    const before = tf.memory().numTensors;
    m.scoreRows(m.params, batch, out);
    expect(tf.memory().numTensors).toBe(before);
    close(out, Array.from(proba.dataSync()));
    disposeTree([xs, proba]);
    m.dispose();
  });

  it('rejects bad input and leaks nothing', async () => {
    expect(() => softmaxRegression(2, 1)).toThrow('Expected `classes` an integer ≥ 2, got 1');
    await expectNoLeak(() => {
      const m = softmaxRegression(2, 3);
      expect(() => m.loss(m.params, exampleBatch([[1, 2]], [3]))).toThrow('Expected `batch.y[0]` a class index in [0, 3), got 3');
      expect(() => m.loss(m.params, exampleBatch([[1, 2]], [0.5]))).toThrow('Expected `batch.y[0]` a class index in [0, 3), got 0.5');
      m.dispose();
    });
  });
});
