import type { Schedule } from '../types';
import { bool, inRange, positiveInt } from '../validate';
import { stepsBefore } from './stepsBefore';

/** Options of `inverseTime` (Keras's `InverseTimeDecay`). */
export interface InverseTimeOptions {
  /** The value at step 1 (`initial_learning_rate`). */
  readonly base: number;
  /** Steps per unit of decay (`decay_steps`). */
  readonly decaySteps: number;
  /** Decay rate, ≥ 0 (`decay_rate`). */
  readonly decayRate: number;
  /** Decay in whole units of `decaySteps` (`staircase`, default false). */
  readonly staircase?: boolean;
}

/**
 * Keras's `InverseTimeDecay`, with Keras's step s = t − 1 (its `iterations` before the update),
 * computed in float64 (Keras uses float32):
 *
 *   η_t = base / (1 + rate · s / decaySteps)     (staircase: ⌊s / decaySteps⌋)
 *
 * @example
 * const s = inverseTime({ base: 0.1, decaySteps: 10, decayRate: 1 });
 * s(11); // 0.05
 */
export function inverseTime(options: InverseTimeOptions): Schedule {
  const base = inRange('base', options?.base, {});
  const decaySteps = positiveInt('decaySteps', options.decaySteps);
  const rate = inRange('decayRate', options.decayRate, { min: 0 });
  const staircase = bool('staircase', options.staircase ?? false);
  return (step) => {
    const p = stepsBefore(step) / decaySteps;
    return base / (1 + rate * (staircase ? Math.floor(p) : p));
  };
}
