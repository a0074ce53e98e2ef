import type * as tf from '@tensorflow/tfjs';

/**
 * A new tensor on the same values: an update that equals its input (u = g) but must be a tensor
 * of its own, disposable on its own.
 *
 *   share(t) = t, as a second handle (reference-counted; tfjs tensors are immutable)
 *
 * `t.clone()` gives the same on `cpu`, but copies the values on `wasm`; a reshape to the same
 * shape shares them on every backend.
 *
 * @example
 * const g = tf.tensor([1, 2]);
 * const u = share(g);
 * g.dispose(); // u still holds [1, 2]
 */
export function share<T extends tf.Tensor>(t: T): T {
  return t.reshape(t.shape) as T;
}
