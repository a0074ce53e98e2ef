import { describe, expect, it } from 'vitest';
import { minibatches } from '../../streams/sources/minibatches';

const data = { xs: [[1], [2], [3], [4]], ys: [1, 2, 3, 4] };

describe('minibatches: seed', () => {
  it.each([-1, 0.5, 2 ** 32, 2 ** 32 + 7, 1e300, NaN, Infinity])('rejects seed %s (a non-negative integer < 2^32 only, never taken modulo 2^32)', (seed) => {
    expect(() => minibatches(data, { batchSize: 2, shuffle: true, seed })).toThrow(`Expected \`seed\` an integer in [0, 2^32), got ${seed}`);
  });

  it('accepts 0 and 2^32 − 1', () => {
    expect(() => minibatches(data, { batchSize: 2, shuffle: true, seed: 0 })).not.toThrow();
    expect(() => minibatches(data, { batchSize: 2, shuffle: true, seed: 2 ** 32 - 1 })).not.toThrow();
  });
});
