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
 * Time each variant `rounds` times, interleaved (A B A B …, the order reversed every other
 * round), after `warmup` calls each (default one, interleaved too), and return every round's
 * milliseconds per call of each (a call may time itself and return a number; otherwise its wall
 * time is taken).
 */
export async function samples(
  variants: Readonly<Record<string, () => number | void | Promise<number | void>>>,
  rounds: number,
  warmup = 1,
): Promise<Record<string, number[]>> {
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
  return times;
}

/**
 * The median milliseconds per call of each variant over `rounds` interleaved rounds (see
 * `samples`).
 */
export async function interleaved(
  variants: Readonly<Record<string, () => number | void | Promise<number | void>>>,
  rounds: number,
  warmup = 1,
): Promise<Record<string, number>> {
  const times = await samples(variants, rounds, warmup);
  return Object.fromEntries(Object.keys(times).map((n) => [n, median(times[n])]));
}

/**
 * The median over rounds of `a[i] / b[i]`: each round's two timings were taken moments apart,
 * so a slow patch of the machine scales both and cancels out of their ratio.
 *
 * @example
 * pairedRatio([2, 4, 3], [1, 2, 3]); // median(2, 2, 1) = 2
 */
export function pairedRatio(a: readonly number[], b: readonly number[]): number {
  return median(a.map((x, i) => x / b[i]));
}

/** A clock in milliseconds: wall time (`performance.now`) or the process's CPU time (`cpuMs`). */
export type Clock = () => number;

/**
 * The process's CPU time in milliseconds (user + system, all threads): unlike wall time, it does
 * not count the moments the process waits for a core, so a machine shared with other work
 * disturbs it less (it does count GC helper threads, which are part of the cost).
 *
 * @example
 * const t0 = cpuMs(); work(); const ms = cpuMs() - t0;
 */
export function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}
