import type { ExampleTable } from '../src/online/ExampleTable';

/**
 * The online benchmarks' synthetic stream: n rows of d features, x ~ U(−1, 1)^d, and the label
 * y = [x · w* > 0] for a fixed w* ~ U(−1, 1)^d (linearly separable), all drawn from `rand` (w*
 * first, then the rows in order). Imports nothing at run time, so a harness that loads two
 * copies of rxgrad (`compareTrees`) does not load a third.
 *
 * @example
 * const t = separableTable(2000, 100, mulberry32(1)); // t.xs: 2000·100 values, t.ys: 0 or 1
 */
export function separableTable(n: number, d: number, rand: () => number): ExampleTable {
  const target = Array.from({ length: d }, () => rand() * 2 - 1);
  const xs = new Float32Array(n * d);
  const ys = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let z = 0;
    for (let j = 0; j < d; j++) z += (xs[i * d + j] = rand() * 2 - 1) * target[j];
    ys[i] = z > 0 ? 1 : 0;
  }
  return { n, d, xs, ys };
}
