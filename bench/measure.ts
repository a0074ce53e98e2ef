/**
 * Benchmark helpers: interleaved rounds and medians, so that the machine's noise hits every
 * variant alike and a ratio is read from one run.
 */

/** The median of a list of numbers. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Time each variant `rounds` times, interleaved (A B A B …), after `warmup` calls each (default
 * one, interleaved too), and return the median milliseconds per call of each (a call may time
 * itself and return a number).
 */
export async function interleaved(
  variants: Readonly<Record<string, () => number | void | Promise<number | void>>>,
  rounds: number,
  warmup = 1,
): Promise<Record<string, number>> {
  const names = Object.keys(variants);
  for (let w = 0; w < warmup; w++) for (const n of names) await variants[n]();
  const times: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? names : [...names].reverse();
    for (const n of order) {
      const t0 = performance.now();
      const own = await variants[n]();
      times[n].push(typeof own === 'number' ? own : performance.now() - t0);
    }
  }
  return Object.fromEntries(names.map((n) => [n, median(times[n])]));
}
