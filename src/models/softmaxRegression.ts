import type * as tf from '@tensorflow/tfjs';
import type { Params } from '../types';
import { positiveInt } from '../validate';
import { denseModel } from './denseModel';
import { initialWeights, type WeightInit } from './initialWeights';
import type { Model } from './Model';

/** A softmax (multinomial logistic) regression: `w` [d, k], `b` [k]. */
export type SoftmaxRegression = Model & { readonly params: Params & { readonly w: tf.Variable; readonly b: tf.Variable } };

/**
 * Softmax regression over k classes, zero-initialised by default (`init: { seed, std }` draws
 * w ~ N(0, std²) instead; b starts at 0). With integer labels y ∈ {0, …, k − 1}:
 *
 *   z = x W + b,   p_c = e^{z_c} / Σ_j e^{z_j}
 *   L = (1/n) Σ_i −log p_{i, y_i} = (1/n) Σ_i logsumexp(z_i) − z_{i, y_i}
 *   ∂L/∂W = (1/n) Σ_i x_iᵀ (p_i − onehot(y_i)),   ∂L/∂b = (1/n) Σ_i (p_i − onehot(y_i))
 *
 * `predict` gives argmax_c z_c (int32 [n]), `predictProba` p ([n, k]).
 *
 * @example
 * const model = softmaxRegression(4, 3);
 * const l = model.loss(model.params, { xs: tf.ones([1, 4]), ys: tf.tensor1d([2]) }); // log 3
 */
export function softmaxRegression(features: number, classes: number, { init = 'zeros' }: { init?: WeightInit } = {}): SoftmaxRegression {
  positiveInt('features', features);
  positiveInt('classes', classes, 2);
  return denseModel({
    sizes: [features, classes],
    names: [{ w: 'w', b: 'b' }],
    activation: 'relu',
    output: 'softmax',
    weights: [initialWeights([features, classes], init)],
  }) as SoftmaxRegression;
}
