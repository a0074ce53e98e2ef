import type * as tf from '@tensorflow/tfjs';
import { StorageSlot } from './StorageSlot';

interface Staged {
  /** The parameter's storage the sum was computed from (its dataId). */
  readonly from: object;
  /** How many times that storage had been swapped (`StorageSlot.of(param).swaps`, see 2). */
  readonly swaps: number;
  readonly sum: Float32Array;
  readonly finite: boolean;
  /** Where the sum lives in a backend's own memory: makes the parameter's new tensor from it (see 3). */
  readonly tensor?: () => tf.Tensor;
}

const staged = new WeakMap<tf.Tensor, Staged>();

/**
 * x + u computed ahead, in the optimizer's own pass, for `addUpdates` to take instead of adding
 * again:
 *
 * 1. `stageSum(update, param, sum, finite, tensor?)` records that `sum` = fl32(param + update),
 *    and whether all of it is finite.
 * 2. `takeStagedSum(update, param)` returns and forgets that record, only if it was made for this
 *    update tensor (not disposed) and for the parameter's current values: the same storage (not
 *    reassigned since) not swapped since (`StorageSlot`, 4: a swap keeps the dataId but not the
 *    values, and a later swap may bring the same array back with other values). Else
 *    `undefined`, and the caller adds as usual. An update replaced by a user's operator has no
 *    record.
 * 3. With `tensor` (the sum computed in the wasm backend's heap, `runInPlaceWasm`: `sum` is then a
 *    view that the heap's growth may detach), the caller makes the new parameter value with
 *    `tensor()` (once) instead of from `sum`; the record holds whatever its length.
 *
 * @example
 * stageSum(u, x, next, true);
 * takeStagedSum(u, x)?.sum; // next
 */
export function stageSum(update: tf.Tensor, param: tf.Tensor, sum: Float32Array, finite: boolean, tensor?: () => tf.Tensor): void {
  staged.set(update, { from: param.dataId, swaps: StorageSlot.of(param).swaps, sum, finite, tensor });
}

/** See `stageSum`. */
export function takeStagedSum(update: tf.Tensor, param: tf.Tensor): { readonly sum: Float32Array; readonly finite: boolean; readonly tensor?: () => tf.Tensor } | undefined {
  const s = staged.get(update);
  if (s === undefined) return undefined;
  staged.delete(update);
  return !update.isDisposed && s.from === param.dataId && s.swaps === StorageSlot.of(param).swaps && (s.tensor !== undefined || s.sum.length === param.size) ? s : undefined;
}
