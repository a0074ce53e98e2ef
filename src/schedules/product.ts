import type { HyperValue, Schedule } from '../types';
import { scheduleOf } from './scheduleOf';

/**
 * The product of schedules (PyTorch's `ChainedScheduler` of multiplicative schedulers): their
 * factors multiply.
 *
 *   η_t = Π_i s_i(t, epoch)
 *
 * Give the base value to one factor and base 1 to the others; numbers stand for constants.
 *
 * @example
 * // ChainedScheduler([ExponentialLR(0.98), StepLR(15, 0.5)]) with lr 0.1:
 * const s = product(exponential({ base: 0.1, gamma: 0.98 }), stepDecay({ base: 1, stepSize: 15, gamma: 0.5 }));
 * s(16); // 0.1 · 0.98¹⁵ · 0.5
 */
export function product(...schedules: HyperValue[]): Schedule {
  const parts = schedules.map((s, i) => scheduleOf(`schedules[${i}]`, s));
  return (step, epoch) => parts.reduce((acc, s) => acc * s(step, epoch), 1);
}
