import type { Schedule } from '../types';
import { inRange, positiveInt } from '../validate';
import { stepsBefore } from './stepsBefore';

/** Options of `constantFactor` (PyTorch's `ConstantLR`). */
export interface ConstantFactorOptions {
  /** The value after `totalIters` steps (PyTorch: the optimizer's initial lr). */
  readonly base: number;
  /** Factor during the first `totalIters` steps, in [0, 1] (default 1/3). */
  readonly factor?: number;
  /** Number of steps scaled by `factor` (default 5). */
  readonly totalIters?: number;
}

/**
 * PyTorch's `ConstantLR`, closed form:
 *
 *   η_t = base · factor   while e < totalIters,   base afterwards   (e = t − 1)
 *
 * @example
 * const s = constantFactor({ base: 0.1, factor: 0.5, totalIters: 8 });
 * s(8); // 0.05
 * s(9); // 0.1
 */
export function constantFactor(options: ConstantFactorOptions): Schedule {
  const base = inRange('base', options?.base, {});
  const factor = inRange('factor', options.factor ?? 1 / 3, { min: 0, max: 1 });
  const totalIters = positiveInt('totalIters', options.totalIters ?? 5);
  return (step) => base * (stepsBefore(step) < totalIters ? factor : 1);
}
