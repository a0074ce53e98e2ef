import { RxgradError, shown } from '../RxgradError';

/** One arriving example, as producers send it. */
export interface Example {
  /** Features: `d` finite numbers. */
  readonly x: readonly number[] | Float32Array | Float64Array;
  /** The label (class index or value); absent or `null` when it arrives later (delayed labels). */
  readonly y?: number | null;
  /** Joins a later label to this example. */
  readonly id?: string | number;
  /** The example's time in ms since the epoch (default: its arrival time). */
  readonly time?: number;
}

const FIELDS = new Set(['x', 'y', 'id', 'time']);

/** Whether `y` is a class index of a classifier with `classes` classes: an integer in [0, classes). */
export function isClass(y: number, classes: number): boolean {
  return Number.isInteger(y) && y >= 0 && y < classes;
}
/** Longest string id accepted. */
export const MAX_ID_LENGTH = 256;

/**
 * Check that `raw` is an `Example` with `d` features (any width when `d` is undefined) and, when
 * `classes` is given, a label that is a class index; return it unchanged, or throw an
 * `RxgradError` whose message is the rejection reason.
 *
 * 1. `raw` is an object with only the fields `x`, `y`, `id`, `time`.
 * 2. `x` is an array, `Float32Array` or `Float64Array` of `d` finite numbers (a string,
 *    `NaN` or `±Infinity` is named with its index).
 * 3. `y` is absent, `null` or a finite number — with `classes`, an integer in [0, classes) (a
 *    classifier's label); `id` a string of ≤ 256 characters or a finite number; `time` a finite
 *    number.
 *
 * @example
 * checkExample({ x: [0.5, 1], y: 1, id: 'a' }, 2); // returns the example
 * checkExample({ x: [0.5, NaN] }, 2); // throws "Expected `x[1]` a finite number, got NaN"
 * checkExample({ x: [0.5, 1], y: 7 }, 2, 2); // throws "Expected `y` a class index in [0, 2), null or absent, got 7"
 */
export function checkExample(raw: unknown, d: number | undefined, classes?: number): Example {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new RxgradError('example', 'an object { x, y?, id?, time? }', raw);
  const e = raw as Record<string, unknown>;
  for (const key in e) if (!FIELDS.has(key)) throw new RxgradError(key, 'absent (an example has x, y, id, time)', shown('it'));
  const x = e.x;
  if (!Array.isArray(x) && !(x instanceof Float32Array) && !(x instanceof Float64Array)) {
    throw new RxgradError('x', 'an array of numbers (or a Float32Array)', x);
  }
  if (d !== undefined && x.length !== d) throw new RxgradError('x', `${d} feature${d === 1 ? '' : 's'}`, shown(`${x.length}`));
  if (x.length === 0) throw new RxgradError('x', 'at least one feature', shown('none'));
  for (let j = 0; j < x.length; j++) {
    const v = x[j];
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new RxgradError(`x[${j}]`, 'a finite number', v);
  }
  const { y, id, time } = e;
  if (y != null && (typeof y !== 'number' || !Number.isFinite(y))) throw new RxgradError('y', 'a finite number, null or absent', y);
  if (y != null && classes !== undefined && !isClass(y as number, classes)) throw new RxgradError('y', `a class index in [0, ${classes}), null or absent`, y);
  if (id !== undefined && !(typeof id === 'string' && id.length <= MAX_ID_LENGTH) && !(typeof id === 'number' && Number.isFinite(id))) {
    throw new RxgradError('id', `a string of ≤ ${MAX_ID_LENGTH} characters or a finite number`, id);
  }
  if (time !== undefined && (typeof time !== 'number' || !Number.isFinite(time))) throw new RxgradError('time', 'a finite number (ms since the epoch)', time);
  return e as unknown as Example;
}
