import * as tf from '@tensorflow/tfjs';
import type { Tensors, Transform } from '../types';
import { RxgradError } from '../RxgradError';
import { inRange } from '../validate';
import { mapTree } from '../tree';

/**
 * Clip every coordinate of the updates to [min, max]:
 *
 *   u_t = min(max(g_t, min), max)
 *
 * 1. `min` and `max` are finite numbers with min < max (constants, not hyperparameters).
 * 2. Stateless: the state is `null`.
 *
 * @example
 * const t = clipByValue(-1, 1);
 * const { updates } = t.update({ w: tf.tensor([-3, 0.5, 2]) }, t.init({})); // [-1, 0.5, 1]
 */
export function clipByValue(min: number, max: number): Transform<null> {
  inRange('min', min, {});
  if (inRange('max', max, {}) <= min) throw new RxgradError('max', `> min (${min})`, max);
  return {
    hyper: [],
    init: () => null,
    update: (grads: Tensors) => ({ updates: tf.tidy(() => mapTree(grads, (g) => tf.clipByValue(g, min, max))), state: null }),
  };
}
