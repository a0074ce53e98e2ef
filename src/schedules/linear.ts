import type { Schedule } from '../types';
import { inRange, positiveInt } from '../validate';
import { stepsBefore } from './stepsBefore';

/** Options of `linear` (PyTorch's `LinearLR`). */
export interface LinearOptions {
  /** The value the factors multiply (PyTorch: the optimizer's initial lr). */
  readonly base: number;
  /** Factor at step 1, ≥ 0 (default 1/3; 0 gives a warmup from zero). */
  readonly startFactor?: number;
  /** Factor from step totalIters + 1 on, ≥ 0 (default 1). */
  readonly endFactor?: number;
  /** Steps to go from one factor to the other (default 5). */
  readonly totalIters?: number;
}

/**
 * PyTorch's `LinearLR`, closed form:
 *
 *   η_t = base · (s + (f − s) · min(e, T) / T),   e = t − 1, s = startFactor, f = endFactor, T = totalIters
 *
 * (PyTorch requires s in (0, 1]; rxgrad also accepts 0 and factors above 1.)
 *
 * @example
 * const s = linear({ base: 0.1, startFactor: 0.1, totalIters: 10 });
 * s(1);  // 0.01
 * s(11); // 0.1
 */
export function linear(options: LinearOptions): Schedule {
  const base = inRange('base', options?.base, {});
  const start = inRange('startFactor', options.startFactor ?? 1 / 3, { min: 0 });
  const end = inRange('endFactor', options.endFactor ?? 1, { min: 0 });
  const total = positiveInt('totalIters', options.totalIters ?? 5);
  return (step) => base * (start + ((end - start) * Math.min(stepsBefore(step), total)) / total);
}
