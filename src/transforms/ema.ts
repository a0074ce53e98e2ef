import type * as tf from '@tensorflow/tfjs';

/**
 * Exponential moving average, the update of every running moment (Adam's m and v, RMSProp's s,
 * AdaDelta's accumulators):
 *
 *   a_t = β·a_{t-1} + (1 − β)·x_t
 *
 * @example
 * ema(tf.tensor([1]), tf.tensor([3]), 0.5); // [2]
 */
export function ema(average: tf.Tensor, x: tf.Tensor, decay: number): tf.Tensor {
  return average.mul(decay).add(x.mul(1 - decay));
}
