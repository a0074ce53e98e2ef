import { RxgradError } from './RxgradError';

/** An interval for `inRange`: bounds and whether each is included. */
export interface Interval {
  readonly min?: number;
  readonly max?: number;
  readonly minOpen?: boolean;
  readonly maxOpen?: boolean;
}

/** Render an interval the way errors print it: `[0, 1)`, `> 0`, `≥ 0`. */
export function formatInterval({ min, max, minOpen = false, maxOpen = false }: Interval): string {
  if (min !== undefined && max !== undefined) return `in ${minOpen ? '(' : '['}${min}, ${max}${maxOpen ? ')' : ']'}`;
  if (min !== undefined) return minOpen ? `> ${min}` : `≥ ${min}`;
  if (max !== undefined) return maxOpen ? `< ${max}` : `≤ ${max}`;
  return 'a finite number';
}

/**
 * Check that `value` is a finite number inside `interval`; return it, or throw an
 * `RxgradError` naming `field`.
 *
 * @example
 * inRange('beta1', 0.9, { min: 0, max: 1, maxOpen: true }); // 0.9
 * inRange('beta1', 1.2, { min: 0, max: 1, maxOpen: true }); // throws "Expected `beta1` in [0, 1), got 1.2"
 */
export function inRange(field: string, value: unknown, interval: Interval): number {
  const { min, max, minOpen = false, maxOpen = false } = interval;
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    (min === undefined || (minOpen ? value > min : value >= min)) &&
    (max === undefined || (maxOpen ? value < max : value <= max));
  if (!ok) throw new RxgradError(field, formatInterval(interval), value);
  return value as number;
}

/**
 * Check that `value` is an integer ≥ `min` (default 1).
 *
 * @example
 * positiveInt('batchSize', 10); // 10
 */
export function positiveInt(field: string, value: unknown, min = 1): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new RxgradError(field, `an integer ≥ ${min}`, value);
  }
  return value;
}

/**
 * Check that `value` is a boolean.
 *
 * @example
 * bool('nesterov', false); // false
 */
export function bool(field: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new RxgradError(field, 'a boolean', value);
  return value;
}

/**
 * Check that `value` can name a hyperparameter on a step's `hyper` record:
 *
 * 1. a non-empty string;
 * 2. not `__proto__`: copying the record (`extend`, `Object.assign`) would call the prototype
 *    setter instead of keeping the value, so the hyperparameter would silently never apply.
 *
 * @example
 * hyperName('name', 'momentum'); // 'momentum'
 */
export function hyperName(field: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) throw new RxgradError(field, 'a hyperparameter name', value);
  if (value === '__proto__') throw new RxgradError(field, 'a hyperparameter name (not __proto__)', value);
  return value;
}

/**
 * Check that `value` is a seed of a 32-bit PRNG (`mulberry32`): an integer in [0, 2^32) — never
 * taken modulo 2^32 (2^32 + 7 would silently be 7).
 *
 * @example
 * seed32('seed', 42); // 42
 */
export function seed32(field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value >= 2 ** 32) throw new RxgradError(field, 'an integer in [0, 2^32)', value);
  return value;
}
