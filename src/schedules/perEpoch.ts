import type { HyperValue, Schedule } from '../types';
import { positiveInt } from '../validate';
import { scheduleOf } from './scheduleOf';

/**
 * A schedule counted in epochs instead of steps: η_t = s(epoch_t). Any schedule works — its
 * "step" is then the 1-based epoch the step belongs to (PyTorch's schedulers stepped once per
 * epoch). A step without an epoch throws.
 *
 * @example
 * // The book's exercise: divide the learning rate by 10 after each epoch.
 * const s = perEpoch(exponential({ base: 0.05, gamma: 0.1 }));
 * s(1, 1);   // 0.05
 * s(151, 2); // 0.005
 */
export function perEpoch(schedule: HyperValue): Schedule {
  const s = scheduleOf('schedule', schedule);
  return (_step, epoch) => {
    const e = positiveInt('epoch', epoch);
    return s(e, e);
  };
}
