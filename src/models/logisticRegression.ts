import type * as tf from '@tensorflow/tfjs';
import type { Params } from '../types';
import { positiveInt } from '../validate';
import { denseModel } from './denseModel';
import { initialWeights, type WeightInit } from './initialWeights';
import type { Model } from './Model';

/** A binary logistic regression: `w` [d, 1], `b` [1]. */
export type LogisticRegression = Model & { readonly params: Params & { readonly w: tf.Variable; readonly b: tf.Variable } };

/**
 * Binary logistic regression, zero-initialised by default as in River's `LogisticRegression`
 * and Vowpal Wabbit (`init: { seed, std }` draws w ~ N(0, std²) instead; b starts at 0).
 *
 *   z = x w + b,   p = P(y = 1 | x) = σ(z) = 1 / (1 + e^{−z})
 *   L = (1/n) Σ_i −[y_i log p_i + (1 − y_i) log(1 − p_i)] = (1/n) Σ_i softplus(z_i) − y_i z_i
 *   ∂L/∂w = (1/n) Σ_i (p_i − y_i) x_iᵀ,   ∂L/∂b = (1/n) Σ_i (p_i − y_i)
 *
 * The loss is computed in the softplus form, finite for any z. `predict` gives the class
 * [z > 0] (int32 [n]), `predictProba` [1 − p, p] ([n, 2]); labels are 0 or 1.
 *
 * @example
 * const model = logisticRegression(6);
 * const l = model.loss(model.params, { xs: tf.ones([2, 6]), ys: tf.tensor1d([0, 1]) }); // log 2
 */
export function logisticRegression(features: number, { init = 'zeros' }: { init?: WeightInit } = {}): LogisticRegression {
  positiveInt('features', features);
  return denseModel({
    sizes: [features, 1],
    names: [{ w: 'w', b: 'b' }],
    activation: 'relu',
    output: 'sigmoid',
    weights: [initialWeights([features, 1], init)],
  }) as LogisticRegression;
}
