import type { ExampleTable } from '../../src/online/ExampleTable';
import { mulberry32 } from '../../streams/sources/mulberry32';

/**
 * A deterministic binary table: x ~ U(−1, 1)^d from mulberry32(seed), y = [x·w > 0.1·u] with
 * w = (1, −1, 1, …) and u ~ U(−1, 1) noise; the rule flips sign halfway (a drift).
 */
export function syntheticTable(n: number, d: number, seed: number): ExampleTable {
  const rand = mulberry32(seed);
  const xs = new Float32Array(n * d);
  const ys = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let z = 0;
    for (let j = 0; j < d; j++) {
      const v = 2 * rand() - 1;
      xs[i * d + j] = v;
      z += (j % 2 === 0 ? 1 : -1) * v;
    }
    const sign = i < n / 2 ? 1 : -1;
    ys[i] = sign * z > 0.1 * (2 * rand() - 1) ? 1 : 0;
  }
  return { n, d, xs, ys };
}
