import { RxgradError } from '../RxgradError';
import type { Schedule } from '../types';
import { inRange, positiveInt } from '../validate';
import { stepsBefore } from './stepsBefore';

/** Options of `multiStep` (PyTorch's `MultiStepLR`). */
export interface MultiStepOptions {
  /** The value at step 1 (PyTorch: the optimizer's initial lr). */
  readonly base: number;
  /** Counts at which to decay (a repeated milestone decays twice, as in PyTorch). */
  readonly milestones: readonly number[];
  /** Factor per milestone (default 0.1). */
  readonly gamma?: number;
}

/**
 * PyTorch's `MultiStepLR`, closed form:
 *
 *   η_t = base · γ^#{ m ∈ milestones : m ≤ e },   e = t − 1
 *
 * @example
 * const s = multiStep({ base: 0.1, milestones: [5, 20], gamma: 0.1 });
 * s(5); // 0.1
 * s(6); // 0.01
 */
export function multiStep(options: MultiStepOptions): Schedule {
  const base = inRange('base', options?.base, {});
  const gamma = inRange('gamma', options.gamma ?? 0.1, { min: 0 });
  if (!Array.isArray(options.milestones)) throw new RxgradError('milestones', 'an array of integers ≥ 1', options.milestones);
  const milestones = options.milestones.map((m, i) => positiveInt(`milestones[${i}]`, m));
  return (step) => {
    const e = stepsBefore(step);
    return base * gamma ** milestones.filter((m) => m <= e).length;
  };
}
