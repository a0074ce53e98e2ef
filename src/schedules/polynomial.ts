import type { Schedule } from '../types';
import { bool, inRange, positiveInt } from '../validate';
import { stepsBefore } from './stepsBefore';

/** Options of `polynomial` (PyTorch's `PolynomialLR`, Keras's `PolynomialDecay`). */
export interface PolynomialOptions {
  /** The value at step 1 (PyTorch: the optimizer's initial lr; Keras: `initial_learning_rate`). */
  readonly base: number;
  /** Steps to decay over (PyTorch `total_iters`, default 5; Keras `decay_steps`). */
  readonly totalIters?: number;
  /** Exponent, ≥ 0 (default 1). */
  readonly power?: number;
  /** Value reached after `totalIters` steps (default 0, as PyTorch; Keras `end_learning_rate`). */
  readonly end?: number;
  /** Keras's `cycle`: after the end, decay again over the next multiple of `totalIters` (default false). */
  readonly cycle?: boolean;
}

/**
 * PyTorch's `PolynomialLR` and Keras's `PolynomialDecay`, closed form:
 *
 *   η_t = (base − end) · (1 − min(e, T) / T)^p + end,   e = t − 1, T = totalIters
 *
 * With `cycle`, T becomes T · max(1, ⌈e / T⌉) and e is not capped (Keras).
 *
 * @example
 * const s = polynomial({ base: 0.1, totalIters: 40, power: 2 });
 * s(2);  // 0.1 · (39/40)² = 0.0950625
 * s(41); // 0
 */
export function polynomial(options: PolynomialOptions): Schedule {
  const base = inRange('base', options?.base, {});
  const total = positiveInt('totalIters', options.totalIters ?? 5);
  const power = inRange('power', options.power ?? 1, { min: 0 });
  const end = inRange('end', options.end ?? 0, {});
  const cycle = bool('cycle', options.cycle ?? false);
  return (step) => {
    const e = stepsBefore(step);
    const fraction = cycle ? e / (total * Math.max(1, Math.ceil(e / total))) : Math.min(e, total) / total;
    return (base - end) * (1 - fraction) ** power + end;
  };
}
