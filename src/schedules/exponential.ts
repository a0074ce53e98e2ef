import type { Schedule } from '../types';
import { inRange } from '../validate';
import { stepsBefore } from './stepsBefore';

/** Options of `exponential` (PyTorch's `ExponentialLR`). */
export interface ExponentialOptions {
  /** The value at step 1 (PyTorch: the optimizer's initial lr). */
  readonly base: number;
  /** Factor per step, ≥ 0. */
  readonly gamma: number;
}

/**
 * PyTorch's `ExponentialLR`, closed form:
 *
 *   η_t = base · γ^e,   e = t − 1
 *
 * @example
 * const s = exponential({ base: 0.1, gamma: 0.95 });
 * s(3); // 0.1 · 0.95² = 0.09025
 */
export function exponential(options: ExponentialOptions): Schedule {
  const base = inRange('base', options?.base, {});
  const gamma = inRange('gamma', options.gamma, { min: 0 });
  return (step) => base * gamma ** stepsBefore(step);
}
