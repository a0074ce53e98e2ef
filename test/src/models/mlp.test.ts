import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { mlp } from '../../../src/models/mlp';
import { valueAndGrads } from '../../../src/valueAndGrads';
import { disposeTree } from '../../../src/tree';
import { expectNoLeak } from '../../helpers';
import { exampleBatch, randomBatch } from './exampleBatch';

const close = (actual: ArrayLike<number>, expected: readonly number[], digits = 6) =>
  expected.forEach((e, i) => expect(actual[i]).toBeCloseTo(e, digits));

describe('mlp', () => {
  it('names its parameters w1, b1, w2, b2, … with the layer shapes, biases at zero', () => {
    const m = mlp([3, 4, 5, 2], { output: 'softmax' });
    expect(Object.keys(m.params)).toEqual(['w1', 'b1', 'w2', 'b2', 'w3', 'b3']);
    expect([m.params.w1.shape, m.params.b1.shape, m.params.w2.shape, m.params.w3.shape]).toEqual([[3, 4], [4], [4, 5], [5, 2]]);
    expect(Array.from(m.params.b2.dataSync())).toEqual([0, 0, 0, 0, 0]);
    expect([m.task, m.outputs, m.features]).toEqual(['multiclass', 2, 3]);
    m.dispose();
  });

  it('draws He-uniform weights before a ReLU and Glorot-uniform otherwise, from the seed', () => {
    const m = mlp([30, 20, 10], { seed: 4 });
    const again = mlp([30, 20, 10], { seed: 4 });
    const other = mlp([30, 20, 10], { seed: 5 });
    const w1 = Array.from(m.params.w1.dataSync());
    const w2 = Array.from(m.params.w2.dataSync());
    // He: a = √(6/30) = 0.4472136; Glorot: a = √(6/(20 + 10)) = 0.4472136 too, so use the spread:
    // U(−a, a) has standard deviation a/√3 = 0.2581989
    for (const w of [w1, w2]) {
      expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual(0.4472136);
      const sd = Math.sqrt(w.reduce((s, v) => s + v * v, 0) / w.length);
      expect(sd).toBeGreaterThan(0.2581989 * 0.85);
      expect(sd).toBeLessThan(0.2581989 * 1.15);
    }
    const t = mlp([10, 20, 1], { activation: 'tanh', seed: 4 });
    // Glorot for the tanh layer: a = √(6/(10 + 20)) = 0.4472136 (He would allow √(6/10) = 0.7745967)
    expect(Math.max(...Array.from(t.params.w1.dataSync()).map(Math.abs))).toBeLessThanOrEqual(0.4472136);
    expect(Array.from(again.params.w1.dataSync())).toEqual(w1);
    expect(Array.from(other.params.w1.dataSync())).not.toEqual(w1);
    [m, again, other, t].forEach((x) => x.dispose());
  });

  it('matches a hand-derived forward and backward pass (ReLU, linear output, MSE/2)', async () => {
    await expectNoLeak(() => {
      const m = mlp([2, 2, 1], { activation: 'relu', output: 'linear' });
      tf.tidy(() => {
        m.params.w1.assign(tf.tensor2d([[1, -1], [0.5, 2]]));
        m.params.b1.assign(tf.tensor1d([0, 0.5]));
        m.params.w2.assign(tf.tensor2d([[2], [-1]]));
        m.params.b2.assign(tf.tensor1d([0.5]));
      });
      // x = [1, 1], y = 1
      // z₁ = [1 + 0.5, −1 + 2] + [0, 0.5] = [1.5, 1.5], h = relu(z₁) = [1.5, 1.5]
      // z = 1.5·2 + 1.5·(−1) + 0.5 = 2; loss = (2 − 1)²/2 = 0.5; ∂L/∂z = 1
      // ∂w2 = hᵀ = [1.5, 1.5]; ∂b2 = 1; ∂h = w2ᵀ = [2, −1]; relu′ = [1, 1] so ∂z₁ = [2, −1]
      // ∂w1 = xᵀ ∂z₁ = [[2, −1], [2, −1]]; ∂b1 = [2, −1]
      const { value, grads } = valueAndGrads(() => m.loss(m.params, exampleBatch([[1, 1]], [1])), m.params);
      expect(value.dataSync()[0]).toBeCloseTo(0.5, 6);
      close(grads.w2.dataSync(), [1.5, 1.5]);
      close(grads.b2.dataSync(), [1]);
      close(grads.w1.dataSync(), [2, -1, 2, -1]);
      close(grads.b1.dataSync(), [2, -1]);
      const out = new Float32Array(1);
      m.scoreRows(m.params, exampleBatch([[1, 1]], [1]), out);
      expect(out[0]).toBeCloseTo(2, 6);
      disposeTree([value, grads]);
      m.dispose();
    });
  });

  it('hidden sigmoid with a sigmoid output: BCE of the hand-derived forward pass', () => {
    const m = mlp([1, 1, 1], { activation: 'sigmoid', output: 'sigmoid' });
    m.params.w1.assign(tf.tensor2d([[2]]));
    m.params.w2.assign(tf.tensor2d([[4]]));
    m.params.b2.assign(tf.tensor1d([-2]));
    // x = 0: h = σ(0) = ½; z = 4·½ − 2 = 0, p = ½; y = 1: loss = log 2; ∂z = p − y = −½
    // ∂w2 = h·(−½) = −¼; ∂b2 = −½; ∂h = 4·(−½) = −2; σ′(0) = ¼ so ∂z₁ = −½; ∂w1 = x·(−½) = 0; ∂b1 = −½
    const { value, grads } = valueAndGrads(() => m.loss(m.params, exampleBatch([[0]], [1])), m.params);
    expect(value.dataSync()[0]).toBeCloseTo(Math.log(2), 6);
    close(grads.w2.dataSync(), [-0.25]);
    close(grads.b2.dataSync(), [-0.5]);
    close(grads.w1.dataSync(), [0]);
    close(grads.b1.dataSync(), [-0.5]);
    disposeTree([value, grads]);
    m.dispose();
  });

  for (const [activation, output, k] of [
    ['relu', 'sigmoid', 2],
    ['tanh', 'softmax', 4],
    ['sigmoid', 'linear', 1],
  ] as const) {
    it(`scoreRows equals the tensor forward pass (${activation} hidden, ${output} output), making no tensor`, () => {
      const m = mlp([5, 8, 6, output === 'sigmoid' ? 1 : k], { activation, output, seed: 3 });
      const batch = randomBatch(9, 5, (i) => i % k);
      const xs = tf.tensor2d(batch.x, [9, 5]);
      const expected = output === 'linear' ? m.predict(m.params, xs) : m.predictProba!(m.params, xs);
      const out = new Float32Array(9 * m.outputs);
      const before = tf.memory().numTensors;
      m.scoreRows(m.params, batch, out);
      expect(tf.memory().numTensors).toBe(before);
      close(out, Array.from(expected.dataSync()), 5);
      disposeTree([xs, expected]);
      m.dispose();
    });
  }

  it('rejects bad input, naming the field', () => {
    expect(() => mlp([3])).toThrow('Expected `sizes` widths [d, ...hidden, out] (at least 2), got [3]');
    expect(() => mlp([3, 0, 1])).toThrow('Expected `sizes[1]` an integer ≥ 1, got 0');
    expect(() => mlp([3, 2], { output: 'sigmoid' })).toThrow('Expected `sizes` a last width of 1 for a sigmoid output, got 2');
    expect(() => mlp([3, 1], { output: 'softmax' })).toThrow('Expected `sizes` a last width ≥ 2 for a softmax output, got 1');
    expect(() => mlp([3, 1], { activation: 'gelu' as 'relu' })).toThrow("Expected `activation` 'relu', 'tanh' or 'sigmoid', got \"gelu\"");
    const m = mlp([2, 3, 2]);
    expect(() => m.loss(m.params, exampleBatch([[1, 2]], [1]))).toThrow('Expected `batch` tensors { xs, ys } with ys [n, 2]');
    expect(() => m.scoreRows({ ...m.params, w2: m.params.b1 }, exampleBatch([[1, 2]], [1]), new Float32Array(2))).toThrow('Expected `params.w2` 6 values, got 3');
    m.dispose();
  });
});
