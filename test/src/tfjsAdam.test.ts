import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { adam } from '../../src/index';
import { expectClose, trajectory } from './helpers';

// tf.train.adam(η, β1, β2, ε) updates x ← x − η·m̂/(√v̂ + ε) with m̂ = m/(1 − β1^t),
// v̂ = v/(1 − β2^t): the same equations as PyTorch's Adam (√v̂ = √v/√(1 − β2^t)). tfjs's default ε is
// the backend's epsilon (1e-7), not PyTorch's 1e-8, so ε is passed explicitly.
//
// One difference remains: tfjs keeps β^t as a float32 product and forms 1 − β2^t in float32
// (relative error ≈ 2⁻²⁴·t/(1 − β2^t), 3e-5 at t = 1 for β2 = 0.999), while rxgrad computes bias
// corrections in float64. Where the trajectory is well conditioned the two agree to the contract's
// 1e-5 + 1e-6; with large steps through the origin (lr 0.4 here) tfjs's error is amplified to
// ~3e-5 absolute, so those runs are not used as a reference (the PyTorch fixtures cover lr and
// bias correction instead).
function tfjsTrajectory(optimizer: tf.Optimizer, x0: number[], steps: number, grad: (x: tf.Tensor) => tf.Tensor): number[][] {
  const x = tf.variable(tf.tensor1d(x0), true, `tfjsAdam_x_${Math.random()}`);
  const out: number[][] = [];
  for (let t = 1; t <= steps; t++) {
    const g = tf.tidy(() => grad(x));
    optimizer.applyGradients({ [x.name]: g });
    g.dispose();
    out.push(Array.from(x.dataSync()));
  }
  optimizer.dispose();
  x.dispose();
  return out;
}

describe('adam agrees with tf.train.adam when ε is explicit', () => {
  const f2 = (x: tf.Tensor) => x.mul(tf.tensor1d([0.2, 4])); // ∇(0.1·x1² + 2·x2²)
  for (const [lr, beta1, beta2, eps] of [
    [0.01, 0.9, 0.999, 1e-8], // the book's Adam on airfoil: lr 0.01
    [0.1, 0.8, 0.99, 1e-6],
    [0.01, 0.9, 0.999, 1e-3],
  ]) {
    it(`on 0.1x1² + 2x2² from (−5, −2), 100 steps: lr ${lr}, β1 ${beta1}, β2 ${beta2}, ε ${eps}`, () => {
      const before = tf.memory().numTensors;
      const ours = trajectory(adam({ lr, beta1, beta2, eps }), [-5, -2], 100, (x) => tf.tidy(() => f2(x)));
      expect(tf.memory().numTensors).toBe(before); // (tf.train.adam itself keeps one tensor after dispose)
      const theirs = tfjsTrajectory(tf.train.adam(lr, beta1, beta2, eps), [-5, -2], 100, f2);
      ours.forEach((x, i) => expectClose(x, theirs[i], `step ${i + 1}`));
    });
  }
});
