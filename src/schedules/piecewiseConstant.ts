import { RxgradError } from '../RxgradError';
import type { Schedule } from '../types';
import { inRange, positiveInt } from '../validate';
import { stepsBefore } from './stepsBefore';

/** Options of `piecewiseConstant` (Keras's `PiecewiseConstantDecay`). */
export interface PiecewiseConstantOptions {
  /** Increasing Keras steps b_0 < b_1 < … (Keras counts s = t − 1 from 0). */
  readonly boundaries: readonly number[];
  /** One more value than boundaries. */
  readonly values: readonly number[];
}

/**
 * Keras's `PiecewiseConstantDecay`, with Keras's step s = t − 1:
 *
 *   η_t = values[0] for s ≤ b_0,  values[i] for b_{i−1} < s ≤ b_i,  values[n] for s > b_{n−1}
 *
 * @example
 * const s = piecewiseConstant({ boundaries: [100, 110], values: [1, 0.5, 0.1] });
 * s(101); // 1   (s = 100)
 * s(102); // 0.5
 */
export function piecewiseConstant(options: PiecewiseConstantOptions): Schedule {
  const { boundaries, values } = options ?? {};
  if (!Array.isArray(boundaries)) throw new RxgradError('boundaries', 'an array of increasing integers', boundaries);
  boundaries.forEach((b, i) => {
    positiveInt(`boundaries[${i}]`, b, 0);
    if (i > 0 && b <= boundaries[i - 1]) throw new RxgradError(`boundaries[${i}]`, `> boundaries[${i - 1}] (${boundaries[i - 1]})`, b);
  });
  if (!Array.isArray(values) || values.length !== boundaries.length + 1) {
    throw new RxgradError('values', `an array of ${boundaries.length + 1} numbers (one more than boundaries)`, values);
  }
  values.forEach((v, i) => inRange(`values[${i}]`, v, {}));
  return (step) => {
    const s = stepsBefore(step);
    return values[boundaries.filter((b) => s > b).length];
  };
}
