import { RxgradError } from '../RxgradError';
import type { HyperValue, Schedule } from '../types';
import { inRange } from '../validate';

/**
 * A number or a schedule as a schedule: a finite number `c` becomes the constant `() => c`, a
 * function is returned as is. Anything else throws an `RxgradError` naming `field`.
 *
 * @example
 * scheduleOf('lr', 0.1)(7);        // 0.1
 * scheduleOf('lr', (t) => 1 / t)(4); // 0.25
 */
export function scheduleOf(field: string, value: HyperValue): Schedule {
  if (typeof value === 'function') return value;
  if (typeof value !== 'number') throw new RxgradError(field, 'a number or a schedule (step, epoch) => value', value);
  const c = inRange(field, value, {});
  return () => c;
}
