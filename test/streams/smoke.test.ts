import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { sgd } from '../../src/index';
import { applyUpdates, gradients, objective, optimize } from '../../streams/index';

describe('pipeline smoke', () => {
  it('reproduces the book GD trace on f = x1² + 2·x2², η = 0.1, 20 steps from (-5, -2)', async () => {
    await tf.setBackend('cpu');
    // x_t = x_{t-1} − 0.1·(2x1, 4x2): x1 = −5·0.8²⁰ = −0.057646, x2 = −2·0.6²⁰ = −0.0000731
    const p = objective((x) => x.square().mul(tf.tensor1d([1, 2])).sum() as tf.Scalar, [-5, -2]);
    const values: number[][] = [];
    p.steps
      .pipe(gradients(p.loss, p.params), optimize(sgd({ lr: 0.1 })), applyUpdates(p.params, { track: ['x'] }))
      .subscribe((r) => values.push([...r.values!.x]));
    expect(values).toHaveLength(20);
    expect(values[19][0]).toBeCloseTo(-5 * 0.8 ** 20, 6);
    expect(values[19][1]).toBeCloseTo(-2 * 0.6 ** 20, 7);
    p.dispose();
  });
});
