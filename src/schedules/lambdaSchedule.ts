import { RxgradError } from '../RxgradError';
import type { Schedule } from '../types';
import { inRange } from '../validate';
import { stepsBefore } from './stepsBefore';

/** Options of `lambdaSchedule` (PyTorch's `LambdaLR`). */
export interface LambdaScheduleOptions {
  /** The value the factor multiplies (PyTorch: the optimizer's initial lr). */
  readonly base: number;
  /** The factor as a function of PyTorch's count e = t − 1 (so a PyTorch lambda ports verbatim). */
  readonly lambda: (count: number) => number;
}

/**
 * PyTorch's `LambdaLR`: the base value times a user factor of the count,
 *
 *   η_t = base · λ(e),   e = t − 1
 *
 * @example
 * // LambdaLR(opt, lambda e: 0.1 ** (e // 15)) with lr 0.1:
 * const s = lambdaSchedule({ base: 0.1, lambda: (e) => 0.1 ** Math.floor(e / 15) });
 * s(15); // 0.1
 * s(16); // 0.01
 */
export function lambdaSchedule(options: LambdaScheduleOptions): Schedule {
  const base = inRange('base', options?.base, {});
  const lambda = options.lambda;
  if (typeof lambda !== 'function') throw new RxgradError('lambda', 'a function of the count e = t − 1', lambda);
  return (step) => base * lambda(stepsBefore(step));
}
