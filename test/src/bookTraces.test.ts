import * as tf from '@tensorflow/tfjs';
import { describe, it } from 'vitest';
import { adagrad, rmsprop, sgd, type Transform } from '../../src/index';
import { expectClose, trajectory } from './helpers';

// The book's 2-D traces (Dive into Deep Learning, ch. 12 "Optimization Algorithms"), 20 steps
// from x = (−5, −2), with the pure core (no RxJS). Expected values are the book's printed
// "epoch 20, x1: …, x2: …" lines (issue 2 §3), recomputed in float64 Python from the book's code.
//
//   f(x) = x1² + 2·x2²        ∇f = (2·x1, 4·x2)
//   f(x) = 0.1·x1² + 2·x2²    ∇f = (0.2·x1, 4·x2)
const f1 = (x: tf.Tensor) => x.mul(tf.tensor1d([2, 4]));
const f2 = (x: tf.Tensor) => x.mul(tf.tensor1d([0.2, 4]));

function last(transform: Transform<any>, grad: (x: tf.Tensor) => tf.Tensor): number[] {
  return trajectory(transform, [-5, -2], 20, (x) => tf.tidy(() => grad(x))).at(-1)!;
}

// Printed with 6 decimals: compare at 1e-5 relative + 1e-6 absolute, which covers the 5e-7
// rounding of the print and float32 arithmetic (the diverging x2 = −1673.365109 comes out as
// −1673.3678 in float32 after 20 multiplications by −1.4: 1.6e-6 relative).
function expectPrinted(x: number[], printed: [string, string]): void {
  expectClose(x, printed.map(Number), `x after 20 steps (book prints ${printed.join(', ')})`);
}

describe("the book's 2-D traces, 20 steps from (−5, −2)", () => {
  it('GD on x1² + 2x2², η = 0.1: x1 −0.057646, x2 −0.000073', () => {
    // x_t = x_{t-1} − 0.1·(2x1, 4x2): x1 = −5·0.8²⁰, x2 = −2·0.6²⁰.
    expectPrinted(last(sgd({ lr: 0.1 }), f1), ['-0.057646', '-0.000073']);
  });

  it('GD on 0.1x1² + 2x2², η = 0.4: x1 −0.943467, x2 −0.000073', () => {
    // x1 = −5·(1 − 0.08)²⁰, x2 = −2·(1 − 1.6)²⁰ = −2·0.6²⁰.
    expectPrinted(last(sgd({ lr: 0.4 }), f2), ['-0.943467', '-0.000073']);
  });

  it('GD on 0.1x1² + 2x2², η = 0.6: x1 −0.387814, x2 −1673.365109 (diverges in x2)', () => {
    // x1 = −5·0.88²⁰, x2 = −2·(−1.4)²⁰.
    expectPrinted(last(sgd({ lr: 0.6 }), f2), ['-0.387814', '-1673.365109']);
  });

  // The book's momentum keeps v ← γ·v + η·g, x ← x − v (its 2-D code keeps v ← γ·v + g and
  // subtracts η·v). PyTorch/rxgrad keep v ← μ·v + g and subtract η·v: with a constant η the book's
  // v is η times rxgrad's, so the trajectories are identical. rxgrad: sgd({ lr: η, momentum: γ }).
  it('momentum η = 0.4, γ = 0.5: x1 −0.062843, x2 0.001202', () => {
    expectPrinted(last(sgd({ lr: 0.4, momentum: 0.5 }), f2), ['-0.062843', '0.001202']);
  });

  it('momentum η = 0.6, γ = 0.5: x1 0.007188, x2 0.002553', () => {
    expectPrinted(last(sgd({ lr: 0.6, momentum: 0.5 }), f2), ['0.007188', '0.002553']);
  });

  // The book's AdaGrad: s ← s + g², x ← x − η/√(s + ε)·g with ε = 1e-6 inside the root, s_0 = 0.
  it('AdaGrad η = 0.4: x1 −2.382563, x2 −0.158591', () => {
    expectPrinted(last(adagrad({ lr: 0.4, eps: 1e-6, epsInSqrt: true }), f2), ['-2.382563', '-0.158591']);
  });

  it('AdaGrad η = 2: x1 −0.002295, x2 −0.000000', () => {
    expectPrinted(last(adagrad({ lr: 2, eps: 1e-6, epsInSqrt: true }), f2), ['-0.002295', '-0.000000']);
  });

  // The book's RMSProp: s ← γs + (1 − γ)g², x ← x − η/√(s + ε)·g with ε = 1e-6; rxgrad's α is γ.
  it('RMSProp η = 0.4, γ = 0.9: x1 −0.010599, x2 0.000000', () => {
    expectPrinted(last(rmsprop({ lr: 0.4, alpha: 0.9, eps: 1e-6, epsInSqrt: true }), f2), ['-0.010599', '0.000000']);
  });
});
