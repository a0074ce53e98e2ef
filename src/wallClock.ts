/** `performance.timeOrigin`, read once (a getter on every call otherwise). */
const ORIGIN = performance.timeOrigin;

/**
 * The wall-clock time, in whole milliseconds since the epoch (what `Date.now()` gives), of a
 * moment read from the monotonic clock:
 *
 *   wallClock(t) = ⌊performance.timeOrigin + t⌋,   t = performance.now() at that moment
 *
 * so that one clock read gives both a duration and a timestamp (`Date.now()` is a second read,
 * ~50–80 ns on Node 20, paid per step). It follows the monotonic clock from the process's start:
 * a later adjustment of the system clock is not seen.
 *
 * @example
 * const t = performance.now();
 * wallClock(t); // ≈ Date.now(), e.g. 1764597600123
 */
export function wallClock(t: number): number {
  return Math.floor(ORIGIN + t);
}
