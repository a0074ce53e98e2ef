import * as tf from '@tensorflow/tfjs';
import type { Params } from '../types';
import { positiveInt } from '../validate';
import { withAnalytic } from '../fast/AnalyticLoss';

/** A linear regression model y = Xw + b with the book's squared loss. */
export interface LinearRegression {
  /** `w` [features, 1] ~ N(0, σ²), `b` [1] = 0. */
  readonly params: Params & { readonly w: tf.Variable; readonly b: tf.Variable };
  /**
   * The mean squared loss of a batch, halved as in the book:
   *   L = (1/n) Σ_i (x_iᵀw + b − y_i)² / 2
   */
  readonly loss: (params: Params, batch: { readonly xs: tf.Tensor; readonly ys: tf.Tensor }) => tf.Scalar;
  /** Frees `w` and `b`. */
  dispose(): void;
}

/**
 * The linear regression of *Dive into Deep Learning* §12.5 (`train_ch11`): w ~ N(0, 0.01²),
 * b = 0, loss (ŷ − y)²/2 averaged over the batch. The loss carries its analytic gradient
 * (`withAnalytic`, for ys [n, 1]): `gradients(model.loss, model.params)` takes the fast path.
 *
 * @example
 * const model = linearRegression(5, { seed: 1 });
 * const l = model.loss(model.params, { xs: tf.ones([2, 5]), ys: tf.zeros([2, 1]) });
 */
export function linearRegression(features: number, { seed, std = 0.01 }: { seed?: number; std?: number } = {}): LinearRegression {
  positiveInt('features', features);
  const w = tf.tidy(() => tf.variable(tf.randomNormal([features, 1], 0, std, 'float32', seed), true, undefined, 'float32'));
  const b = tf.tidy(() => tf.variable(tf.zeros([1]), true));
  return {
    params: { w, b },
    loss: withAnalytic(
      (p: Params, { xs, ys }: { readonly xs: tf.Tensor; readonly ys: tf.Tensor }) =>
        tf.tidy(() => {
          const err = tf.sub(tf.add(tf.matMul(xs as tf.Tensor2D, p.w as tf.Tensor2D), p.b), ys);
          return tf.mean(tf.square(err)).div(2) as tf.Scalar;
        }),
      { sizes: [features, 1], activation: 'relu', output: 'linear' },
      [{ w: 'w', b: 'b' }],
      'column',
    ),
    dispose: () => {
      w.dispose();
      b.dispose();
    },
  };
}
