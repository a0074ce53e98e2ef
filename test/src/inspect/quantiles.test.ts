import { describe, expect, it } from 'vitest';
import { quantiles } from '../../../src/quantiles';
import { quantileLabel } from '../../../src/inspectOptimizer';

describe('quantiles', () => {
  it('interpolates linearly between order statistics (NumPy linear, type 7)', () => {
    // sorted [1, 2, 3, 4], h = 3p: p = 0.25 → h = 0.75 → 1 + 0.75·1 = 1.75; p = 0.5 → 2.5; p = 0.95 → h = 2.85 → 3.85
    const q = quantiles([4, 1, 3, 2], [0, 0.25, 0.5, 0.95, 1]);
    [1, 1.75, 2.5, 3.85, 4].forEach((v, i) => expect(q[i]).toBeCloseTo(v, 12));
    // np.quantile([10, 0, 5], [0.1, 0.9]): sorted [0, 5, 10], h = 0.2 → 1; h = 1.8 → 9
    const [a, b] = quantiles(Float32Array.from([10, 0, 5]), [0.1, 0.9]);
    expect(a).toBeCloseTo(1, 12);
    expect(b).toBeCloseTo(9, 12);
    expect(quantiles([7], [0, 0.5, 1])).toEqual([7, 7, 7]);
  });

  it('leaves the input as it is, reports NaN for NaN input, keeps infinities', () => {
    const v = [3, 1, 2];
    quantiles(v, [0.5]);
    expect(v).toEqual([3, 1, 2]);
    expect(quantiles([1, NaN, 2], [0.5, 1])).toEqual([NaN, NaN]);
    expect(quantiles([1, Infinity], [0, 1])).toEqual([1, Infinity]);
  });

  it('rejects no values and probabilities outside [0, 1]', () => {
    expect(() => quantiles([], [0.5])).toThrow('Expected `values` at least one value, got none');
    expect(() => quantiles([1], [1.5])).toThrow('Expected `ps[0]` a probability in [0, 1], got 1.5');
    expect(() => quantiles([1], [NaN])).toThrow('ps[0]');
  });

  it('labels quantiles without dots', () => {
    expect([0.05, 0.5, 0.95, 0.025, 1].map(quantileLabel)).toEqual(['p5', 'p50', 'p95', 'p2_5', 'p100']);
  });
});
