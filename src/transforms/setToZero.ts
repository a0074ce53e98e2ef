import * as tf from '@tensorflow/tfjs';
import type { Tensors, Transform } from '../types';
import { zerosLike } from '../tree';

/**
 * Zero updates (Optax's `set_to_zero`): the group it is given in `multiTransform` is frozen.
 *
 *   u_t = 0
 *
 * 1. The state is `null`; no hyperparameter; the gradients are not read.
 *
 * @example
 * const opt = multiTransform({ frozen: setToZero(), trained: adam({ lr: 1e-3 }) }, (name) => (name.startsWith('embed.') ? 'frozen' : 'trained'));
 */
export function setToZero(): Transform<null> {
  return {
    hyper: [],
    init: () => null,
    update: (grads: Tensors) => ({ updates: tf.tidy(() => zerosLike(grads)), state: null }),
  };
}
