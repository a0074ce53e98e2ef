import * as tf from '@tensorflow/tfjs';

interface Spare {
  readonly array: Float32Array;
  /** The storage of the tensor built on `array`, if any: the array is free again once no tensor holds it. */
  readonly owner: object | undefined;
}

/** Spare arrays by key (a parameter): at most `MAX_SPARES` each, the oldest dropped first. */
const spares = new WeakMap<object, Spare[]>();
const MAX_SPARES = 16;

/** Whether no tensor holds the storage `dataId` any more (a clone of a disposed tensor still does). */
function released(dataId: object): boolean {
  return (tf.engine().backend as unknown as { refCount(dataId: object): number }).refCount(dataId) === 0;
}

/**
 * Buffers recycled across updates, so that a large update does not page in fresh memory:
 *
 * 1. `takeScratch(key, n)` returns a spare array of length `n` given for `key` that is free (given
 *    without an owner, or whose owner's storage no tensor holds any more: a disposed tensor's
 *    clone still holds it), else a new one. Its contents are arbitrary: the caller overwrites it.
 *    With `within` (a WebAssembly memory's buffer), only a spare in that buffer, else `undefined`.
 * 2. `giveScratch(key, array, owner?)` hands an array back; with `owner` (a tensor built on it,
 *    e.g. an update a step carries) it is reused only after no tensor holds its storage.
 *
 * Keys are held weakly: the spares go with their parameter.
 *
 * @example
 * const u = takeScratch(param, 1000);   // new the first time
 * const t = fromValues(u, [1000]);
 * giveScratch(param, u, t);             // reused by a later takeScratch once t is disposed
 */
export function takeScratch(key: object, n: number): Float32Array;
export function takeScratch(key: object, n: number, within: ArrayBufferLike): Float32Array | undefined;
export function takeScratch(key: object, n: number, within?: ArrayBufferLike): Float32Array | undefined {
  const list = spares.get(key);
  if (list) {
    // A plain loop and an in-place removal: no closure, no array per call (this runs a few times
    // per parameter and update).
    for (let i = 0; i < list.length; i++) {
      const s = list[i];
      if (s.array.length === n && (within === undefined || s.array.buffer === within) && (s.owner === undefined || released(s.owner))) {
        list.copyWithin(i, i + 1);
        list.length--;
        return s.array;
      }
    }
  }
  return within === undefined ? new Float32Array(n) : undefined;
}

/** See `takeScratch`. */
export function giveScratch(key: object, array: Float32Array, owner?: tf.Tensor): void {
  let list = spares.get(key);
  if (!list) spares.set(key, (list = []));
  list.push({ array, owner: owner?.dataId });
  if (list.length > MAX_SPARES) list.shift();
}
