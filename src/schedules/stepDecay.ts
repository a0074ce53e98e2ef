import type { Schedule } from '../types';
import { inRange, positiveInt } from '../validate';
import { stepsBefore } from './stepsBefore';

/** Options of `stepDecay` (PyTorch's `StepLR`). */
export interface StepDecayOptions {
  /** The value at step 1 (PyTorch: the optimizer's initial lr). */
  readonly base: number;
  /** Steps between decays (`step_size`). */
  readonly stepSize: number;
  /** Factor per decay (default 0.1). */
  readonly gamma?: number;
}

/**
 * PyTorch's `StepLR`, closed form:
 *
 *   η_t = base · γ^⌊e / stepSize⌋,   e = t − 1
 *
 * @example
 * const s = stepDecay({ base: 0.1, stepSize: 10, gamma: 0.5 });
 * s(10); // 0.1
 * s(11); // 0.05
 */
export function stepDecay(options: StepDecayOptions): Schedule {
  const base = inRange('base', options?.base, {});
  const stepSize = positiveInt('stepSize', options.stepSize);
  const gamma = inRange('gamma', options.gamma ?? 0.1, { min: 0 });
  return (step) => base * gamma ** Math.floor(stepsBefore(step) / stepSize);
}
