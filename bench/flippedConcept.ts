import type { ExampleTable } from '../src/online/ExampleTable';
import { mulberry32 } from '../streams/sources/mulberry32';

/**
 * A stream with a known change point, for drift reactions (bench and tests): n examples of two
 * features uniform in [−1, 1) drawn from mulberry32(seed), labelled y = [a + b/2 > 0], flipped
 * from example `flipAt` on.
 *
 * @example
 * const t = flippedConcept(2500, 2000, 1); // t.xs.length === 5000
 */
export function flippedConcept(n: number, flipAt: number, seed: number): ExampleTable {
  const rand = mulberry32(seed);
  const xs = new Float32Array(n * 2);
  const ys = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const a = rand() * 2 - 1;
    const b = rand() * 2 - 1;
    xs.set([a, b], 2 * i);
    ys[i] = +(a + b / 2 > 0 === i < flipAt);
  }
  return { n, d: 2, xs, ys };
}
