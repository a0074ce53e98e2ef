import type { HyperValue, Schedule } from '../types';
import { inRange } from '../validate';
import { product } from './product';

/**
 * A schedule multiplied by a constant: η_t = k · s(t, epoch). Turns a factor schedule (base 1)
 * into a learning rate.
 *
 * @example
 * const s = scale(0.1, cosine({ base: 1, tMax: 100 }));
 * s(1); // 0.1
 */
export function scale(factor: number, schedule: HyperValue): Schedule {
  return product(inRange('factor', factor, {}), schedule);
}
