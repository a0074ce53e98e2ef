import { RxgradError } from '../RxgradError';
import type { HyperValue, Schedule } from '../types';
import { inRange } from '../validate';
import { scheduleOf } from './scheduleOf';

/** Bounds of `clamp` (either may be omitted). */
export interface ClampOptions {
  readonly min?: number;
  readonly max?: number;
}

/**
 * A schedule kept within bounds: η_t = min(max(s(t, epoch), min), max).
 *
 * @example
 * const s = clamp(exponential({ base: 0.1, gamma: 0.5 }), { min: 0.01 });
 * s(10); // 0.01
 */
export function clamp(schedule: HyperValue, bounds: ClampOptions): Schedule {
  const s = scheduleOf('schedule', schedule);
  const min = inRange('min', bounds?.min ?? -Number.MAX_VALUE, {});
  const max = inRange('max', bounds?.max ?? Number.MAX_VALUE, {});
  if (min > max) throw new RxgradError('max', `≥ min (${min})`, max);
  return (step, epoch) => Math.min(Math.max(s(step, epoch), min), max);
}
