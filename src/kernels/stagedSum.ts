import type * as tf from '@tensorflow/tfjs';
import { values } from './values';

interface Staged {
  /** The parameter's storage the sum was computed from (its dataId). */
  readonly from: object;
  /** The values that storage held (its array on cpu), when given (see 2). */
  readonly x: Float32Array | undefined;
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
 * 1. `stageSum(update, param, sum, finite, tensor?, x?)` records that `sum` = fl32(param +
 *    update), and whether all of it is finite; `x`: the parameter's values array the sum was
 *    computed from (its storage, on cpu).
 * 2. `takeStagedSum(update, param, x?)` returns and forgets that record, only if it was made for
 *    this update tensor (not disposed) and for the parameter's current storage (not reassigned
 *    since: tensors are immutable, so the same storage means the same values) and, when the
 *    record has `x`, only if the parameter's values now (`x` if the caller has them, else
 *    `values(param)`) are that same array: a storage whose array was swapped in place
 *    (`StorageSlot`) keeps its dataId but not its values. Else `undefined`, and the caller adds as usual. An update replaced by a user's
 *    operator has no record.
 * 3. With `tensor` (the sum computed in the wasm backend's heap, `runInPlaceWasm`: `sum` is then a
 *    view that the heap's growth may detach), the caller makes the new parameter value with
 *    `tensor()` (once) instead of from `sum`; the record holds whatever its length.
 *
 * @example
 * stageSum(u, x, next, true, undefined, values(x));
 * takeStagedSum(u, x, values(x))?.sum; // next
 */
export function stageSum(update: tf.Tensor, param: tf.Tensor, sum: Float32Array, finite: boolean, tensor?: () => tf.Tensor, x?: Float32Array): void {
  staged.set(update, { from: param.dataId, x, sum, finite, tensor });
}

/** See `stageSum`. */
export function takeStagedSum(
  update: tf.Tensor,
  param: tf.Tensor,
  x?: Float32Array,
): { readonly sum: Float32Array; readonly finite: boolean; readonly tensor?: () => tf.Tensor } | undefined {
  const s = staged.get(update);
  if (s === undefined) return undefined;
  staged.delete(update);
  return !update.isDisposed && s.from === param.dataId && (s.x === undefined || s.x === (x ?? values(param))) && (s.tensor !== undefined || s.sum.length === param.size) ? s : undefined;
}
