import type { Hyper } from './types';

/**
 * Whether `a` holds exactly the keys and values of `b`, a record of `count` entries (the caller
 * keeps `b`'s key count, so no second walk over `b`):
 *
 * 1. `undefined` equals only `undefined`.
 * 2. Values compare by `Object.is` (NaN equals NaN, 0 differs from −0).
 * 3. Every key of `a` must have `b`'s value, and `a` must have `count` keys: then, as `b` has
 *    `count` keys, the same keys too.
 *
 * @example
 * sameEntries({ lr: 0.1 }, { lr: 0.1 }, 1); // true
 * sameEntries({ lr: 0.1 }, { lr: 0.1, b1: 0.9 }, 2); // false
 */
export function sameEntries(a: Hyper | undefined, b: Hyper | undefined, count: number): boolean {
  if (a === undefined || b === undefined) return a === b;
  let n = 0;
  for (const key in a) {
    if (!Object.is(a[key], b[key])) return false;
    n++;
  }
  return n === count;
}
