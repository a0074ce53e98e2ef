import type * as tf from '@tensorflow/tfjs';

interface Spare {
  readonly array: Float32Array;
  /** The tensor built on `array`, if any: the array is free again once it is disposed. */
  readonly owner: tf.Tensor | undefined;
}

/** Spare arrays by key (a parameter): at most `MAX_SPARES` each, the oldest dropped first. */
const spares = new WeakMap<object, Spare[]>();
const MAX_SPARES = 4;

/**
 * Buffers recycled across updates, so that a large update does not page in fresh memory:
 *
 * 1. `takeScratch(key, n)` returns a spare array of length `n` given for `key` that is free (given
 *    without an owner, or whose owner tensor is disposed), else a new one. Its contents are
 *    arbitrary: the caller overwrites it.
 * 2. `giveScratch(key, array, owner?)` hands an array back; with `owner` (a tensor built on it,
 *    e.g. an update a step carries) it is reused only after that tensor is disposed.
 *
 * Keys are held weakly: the spares go with their parameter.
 *
 * @example
 * const u = takeScratch(param, 1000);   // new the first time
 * const t = fromValues(u, [1000]);
 * giveScratch(param, u, t);             // reused by a later takeScratch once t is disposed
 */
export function takeScratch(key: object, n: number): Float32Array {
  const list = spares.get(key);
  if (list) {
    const i = list.findIndex((s) => s.array.length === n && (s.owner === undefined || s.owner.isDisposed));
    if (i >= 0) return list.splice(i, 1)[0].array;
  }
  return new Float32Array(n);
}

/** See `takeScratch`. */
export function giveScratch(key: object, array: Float32Array, owner?: tf.Tensor): void {
  let list = spares.get(key);
  if (!list) spares.set(key, (list = []));
  list.push({ array, owner });
  if (list.length > MAX_SPARES) list.shift();
}
