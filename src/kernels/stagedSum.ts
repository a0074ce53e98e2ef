import type * as tf from '@tensorflow/tfjs';

interface Staged {
  /** The parameter's storage the sum was computed from (its dataId). */
  readonly from: object;
  readonly sum: Float32Array;
  readonly finite: boolean;
}

const staged = new WeakMap<tf.Tensor, Staged>();

/**
 * x + u computed ahead, in the optimizer's own pass, for `addUpdates` to take instead of adding
 * again:
 *
 * 1. `stageSum(update, param, sum, finite)` records that `sum` = fl32(param + update), and
 *    whether all of it is finite.
 * 2. `takeStagedSum(update, param)` returns and forgets that record, only if it was made for this
 *    update tensor (not disposed) and for the parameter's current storage (not reassigned since:
 *    tensors are immutable, so the same storage means the same values); else `undefined`, and
 *    the caller adds as usual. An update replaced by a user's operator has no record.
 *
 * @example
 * stageSum(u, x, next, true);
 * takeStagedSum(u, x)?.sum; // next
 */
export function stageSum(update: tf.Tensor, param: tf.Tensor, sum: Float32Array, finite: boolean): void {
  staged.set(update, { from: param.dataId, sum, finite });
}

/** See `stageSum`. */
export function takeStagedSum(update: tf.Tensor, param: tf.Tensor): { readonly sum: Float32Array; readonly finite: boolean } | undefined {
  const s = staged.get(update);
  if (s === undefined) return undefined;
  staged.delete(update);
  return !update.isDisposed && s.from === param.dataId && s.sum.length === param.size ? s : undefined;
}
