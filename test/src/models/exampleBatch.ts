import type { ExampleBatch } from '../../../src/ExampleBatch';

/** An ExampleBatch of the given rows (times 0, no ids). */
export function exampleBatch(rows: readonly (readonly number[])[], labels: readonly number[]): ExampleBatch {
  const n = rows.length;
  const d = rows[0].length;
  return { n, d, x: Float32Array.from(rows.flat()), y: Float32Array.from(labels), ids: new Array(n).fill(undefined), times: new Float64Array(n) };
}

/** A deterministic pseudo-random batch (features in [−2, 2)). */
export function randomBatch(n: number, d: number, labels: (i: number) => number, seed = 1): ExampleBatch {
  let s = seed;
  const next = () => ((s = (s * 16807) % 2147483647) / 2147483647) * 4 - 2;
  return exampleBatch(
    Array.from({ length: n }, () => Array.from({ length: d }, next)),
    Array.from({ length: n }, (_, i) => labels(i)),
  );
}
