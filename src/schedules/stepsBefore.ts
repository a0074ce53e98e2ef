import { positiveInt } from '../validate';

/**
 * PyTorch's count for rxgrad's step t: the number of scheduler steps taken before it,
 *
 *   e = t − 1   (t an integer ≥ 1; PyTorch's `last_epoch` while step t runs)
 *
 * Every ported closed form is written in terms of `e`, so it reads like PyTorch's source.
 *
 * @example
 * stepsBefore(1); // 0
 * stepsBefore(0); // throws "Expected `step` an integer ≥ 1, got 0"
 */
export function stepsBefore(step: number): number {
  return positiveInt('step', step) - 1;
}
