import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { logisticRegression } from '../../../src/models/logisticRegression';
import { valueAndGrads } from '../../../src/valueAndGrads';
import { disposeTree } from '../../../src/tree';
import { expectNoLeak } from '../../helpers';
import { exampleBatch, randomBatch } from './exampleBatch';

const close = (actual: ArrayLike<number>, expected: readonly number[], digits = 6) =>
  expected.forEach((e, i) => expect(actual[i]).toBeCloseTo(e, digits));

describe('logisticRegression', () => {
  it('starts at zero: loss log 2 and the gradient (1/n) Σ (p − y) x at p = ½', async () => {
    await expectNoLeak(() => {
      const m = logisticRegression(2);
      expect(Array.from(m.params.w.dataSync())).toEqual([0, 0]);
      expect(Array.from(m.params.b.dataSync())).toEqual([0]);
      // rows x = [1, 2] (y 1) and [3, −1] (y 0); z = 0, p = ½ for both, loss = log 2 = 0.693147
      // ∂w = ½ [(½ − 1)·[1, 2] + (½ − 0)·[3, −1]] = ½ [1, −1.5] = [0.5, −0.75]; ∂b = ½ (−½ + ½) = 0
      for (const batch of [{ xs: tf.tensor2d([[1, 2], [3, -1]]), ys: tf.tensor1d([1, 0]) }, exampleBatch([[1, 2], [3, -1]], [1, 0])]) {
        const { value, grads } = valueAndGrads(() => m.loss(m.params, batch), m.params);
        expect(value.dataSync()[0]).toBeCloseTo(Math.log(2), 6);
        close(grads.w.dataSync(), [0.5, -0.75]);
        close(grads.b.dataSync(), [0]);
        disposeTree([value, grads, 'xs' in batch ? batch : undefined]);
      }
      m.dispose();
    });
  });

  it('matches the hand derivation at w = [1, −1], b = 0.5', () => {
    const m = logisticRegression(2);
    m.params.w.assign(tf.tensor2d([[1], [-1]]));
    m.params.b.assign(tf.tensor1d([0.5]));
    // z₁ = 1 − 2 + 0.5 = −0.5 (y 1), z₂ = 3 + 1 + 0.5 = 4.5 (y 0)
    // p₁ = σ(−0.5) = 0.3775407, p₂ = σ(4.5) = 0.9890131
    // loss = ½ [softplus(−0.5) + 0.5 + softplus(4.5)] = ½ [0.9740770 + 4.5110477] = 2.7425624
    // p − y = [−0.6224593, 0.9890131]
    // ∂w = ½ [−0.6224593·[1, 2] + 0.9890131·[3, −1]] = [1.1722899, −1.1169659]; ∂b = ½ (0.3665538) = 0.1832769
    const batch = exampleBatch([[1, 2], [3, -1]], [1, 0]);
    const { value, grads } = valueAndGrads(() => m.loss(m.params, batch), m.params);
    expect(value.dataSync()[0]).toBeCloseTo(2.7425624, 5);
    close(grads.w.dataSync(), [1.1722899, -1.1169659], 5);
    close(grads.b.dataSync(), [0.1832769], 5);
    const xs = tf.tensor2d(batch.x, [2, 2]);
    const proba = m.predictProba!(m.params, xs);
    close(proba.dataSync(), [0.6224593, 0.3775407, 0.0109869, 0.9890131]);
    const cls = m.predict(m.params, xs);
    expect(cls.dtype).toBe('int32');
    expect(Array.from(cls.dataSync())).toEqual([0, 1]);
    disposeTree([value, grads, xs, proba, cls]);
    m.dispose();
  });

  it('is finite at huge logits (softplus form): z = 1000 gives loss 1000 for y = 0 and 0 for y = 1', () => {
    const m = logisticRegression(1);
    m.params.w.assign(tf.tensor2d([[500]]));
    // z = 2·500 = 1000: −log(1 − σ(1000)) = softplus(1000) = 1000; −log σ(1000) = softplus(1000) − 1000 = 0
    const l0 = m.loss(m.params, exampleBatch([[2]], [0]));
    const l1 = m.loss(m.params, exampleBatch([[2]], [1]));
    expect(l0.dataSync()[0]).toBeCloseTo(1000, 3);
    expect(l1.dataSync()[0]).toBeCloseTo(0, 6);
    disposeTree([l0, l1]);
    m.dispose();
  });

  it('scoreRows writes predictProba straight from the parameters, making no tensor', () => {
    const m = logisticRegression(5, { init: { seed: 3, std: 1 } });
    const batch = randomBatch(7, 5, (i) => i % 2);
    const xs = tf.tensor2d(batch.x, [7, 5]);
    const proba = m.predictProba!(m.params, xs);
    const out = new Float32Array(14);
    const before = tf.memory().numTensors;
    m.scoreRows(m.params, batch, out);
    expect(tf.memory().numTensors).toBe(before);
    close(out, Array.from(proba.dataSync()), 6);
    disposeTree([xs, proba]);
    m.dispose();
  });

  it('seeded init draws N(0, std²) reproducibly', () => {
    const a = logisticRegression(50, { init: { seed: 9, std: 0.5 } });
    const b = logisticRegression(50, { init: { seed: 9, std: 0.5 } });
    const w = Array.from(a.params.w.dataSync());
    expect(w).toEqual(Array.from(b.params.w.dataSync()));
    const sd = Math.sqrt(w.reduce((s, v) => s + v * v, 0) / w.length);
    expect(sd).toBeGreaterThan(0.3);
    expect(sd).toBeLessThan(0.7);
    a.dispose();
    b.dispose();
  });

  it('rejects bad input, naming the field', () => {
    expect(() => logisticRegression(0)).toThrow('Expected `features` an integer ≥ 1, got 0');
    expect(() => logisticRegression(2, { init: { seed: 1.5 } })).toThrow('Expected `init.seed` an integer, got 1.5');
    const m = logisticRegression(2);
    expect(() => m.loss(m.params, exampleBatch([[1, 2]], [NaN]))).toThrow('Expected `batch.y[0]` a class index in [0, 2), got NaN');
    expect(() => m.loss(m.params, exampleBatch([[1, 2]], [2]))).toThrow('Expected `batch.y[0]` a class index in [0, 2), got 2');
    expect(() => m.loss(m.params, exampleBatch([[1, 2, 3]], [1]))).toThrow('Expected `batch.d` 2 features, got 3');
    expect(() => m.scoreRows(m.params, exampleBatch([[1, 2]], [1]), new Float32Array(1))).toThrow('Expected `out` room for n × 2 = 2 numbers, got 1');
    m.dispose();
  });

  it('leaves no tensor behind (loss, predictions, errors, dispose)', async () => {
    await expectNoLeak(() => {
      const m = logisticRegression(3, { init: { seed: 1 } });
      const batch = randomBatch(4, 3, (i) => i % 2);
      const xs = tf.tensor2d(batch.x, [4, 3]);
      disposeTree([valueAndGrads(() => m.loss(m.params, batch), m.params), m.predict(m.params, xs), m.predictProba!(m.params, xs), xs]);
      expect(() => m.loss(m.params, exampleBatch([[1, 2, 3]], [5]))).toThrow();
      m.scoreRows(m.params, batch, new Float32Array(8));
      m.dispose();
    });
  });
});
