import { describe, expect, it } from 'vitest';
import { chartScale, logBounds } from '../../demo/web/chartScale';
import { formatNumber } from '../../demo/web/formatNumber';
import { nearestIndex } from '../../demo/web/nearestIndex';
import { robustRange } from '../../demo/web/robustRange';
import { DASHES, PALETTE, runStyle, withAlpha } from '../../demo/web/runStyle';

describe('runStyle: colours and dash patterns of a group', () => {
  it('gives the first 20 runs 20 different colours, solid', () => {
    const styles = Array.from({ length: 20 }, (_, i) => runStyle(i));
    expect(new Set(styles.map((s) => s.color)).size).toBe(20);
    expect(styles.every((s) => s.dash.length === 0)).toBe(true);
  });

  it('then reuses the colours with dash patterns: no two of the first 80 runs look alike', () => {
    // Run 21 (index 20): colour 20 mod 20 = 0, dash ⌊20/20⌋ = 1; index 45: colour 5, dash 2.
    expect(runStyle(20)).toEqual({ color: PALETTE[0], dash: DASHES[1] });
    expect(runStyle(45)).toEqual({ color: PALETTE[5], dash: DASHES[2] });
    const keys = Array.from({ length: 80 }, (_, i) => JSON.stringify(runStyle(i)));
    expect(new Set(keys).size).toBe(80);
    // The 81st starts over: 80 mod 20 = 0, ⌊80/20⌋ mod 4 = 0.
    expect(runStyle(80)).toEqual(runStyle(0));
  });

  it('keeps the palette valid #rrggbb and rejects an index that is not a count', () => {
    expect(PALETTE.every((c) => /^#[0-9a-f]{6}$/.test(c))).toBe(true);
    expect(() => runStyle(-1)).toThrow('expected an index ≥ 0, got -1');
    expect(() => runStyle(1.5)).toThrow(RangeError);
  });

  it('writes a colour with opacity', () => {
    // #4e79a7 = (0x4e, 0x79, 0xa7) = (78, 121, 167).
    expect(withAlpha('#4e79a7', 0.2)).toBe('rgba(78, 121, 167, 0.2)');
  });
});

describe('nearestIndex', () => {
  it('finds the nearest x by binary search, ties to the earlier point', () => {
    const xs = [1, 2, 4, 8];
    expect(nearestIndex(xs, 3.2)).toBe(2); // |4 − 3.2| = 0.8 < |2 − 3.2| = 1.2
    expect(nearestIndex(xs, 3)).toBe(1); // tie between 2 and 4
    expect(nearestIndex(xs, -5)).toBe(0);
    expect(nearestIndex(xs, 100)).toBe(3);
    expect(nearestIndex(xs, 8)).toBe(3);
    expect(nearestIndex([7], 0)).toBe(0);
  });

  it('has no answer for no points or a non-finite x', () => {
    expect(nearestIndex([], 1)).toBeNull();
    expect(nearestIndex([1, 2], NaN)).toBeNull();
  });

  it('agrees with a linear scan on every query of a long series', () => {
    const xs = Array.from({ length: 97 }, (_, i) => i * i * 0.37);
    for (let q = -3; q < 3500; q += 7.3) {
      let best = 0;
      for (let i = 1; i < xs.length; i++) if (Math.abs(xs[i] - q) < Math.abs(xs[best] - q)) best = i;
      expect(nearestIndex(xs, q)).toBe(best);
    }
  });
});

describe('robustRange: a y range that ignores outliers', () => {
  it('takes weighted quantiles with every run weighing the same', () => {
    // Runs [1, 2, 3, 4] (each value weighs 1/4) and [2, 3, 1000] (1/3 each); S = 2.
    // Sorted: 1 (.25), 2 (.25), 2 (.333), 3 (.25), 3 (.333), 4 (.25), 1000 (.333); cumulative
    // .25, .5, .833, 1.083, 1.417, 1.667, 2. lo 0.1 → 0.2 reached at 1; hi 0.8 → 1.6 reached at 4.
    expect(robustRange([[1, 2, 3, 4], [2, 3, 1000]], { lo: 0.1, hi: 0.8, pad: 0 })).toEqual([1, 4]);
    // With pad 0.5 the span 3 widens by 1.5 on each side: [−0.5, 5.5].
    expect(robustRange([[1, 2, 3, 4], [2, 3, 1000]], { lo: 0.1, hi: 0.8, pad: 0.5 })).toEqual([-0.5, 5.5]);
  });

  it('does not let a run with many points outweigh the others', () => {
    // A noisy run of 1,000 points 0, 0.1, …, 99.9 (1/1000 each) and 9 quiet runs of 10 points
    // at 1 (1/10 each); S = 10. Unweighted, 98 % of the 1,090 values would reach ~98.
    // lo: 0.02·S = 0.2 is reached among the 1s (only 0 … 0.9 weigh 0.01 before them) → 1.
    // hi: 0.98·S = 9.8; the values ≤ 1 weigh 9 + 11/1000, then noisy value k (k/10) brings the
    // cumulative weight to 9 + (k + 1)/1000 ≥ 9.8 at k = 799 → 79.9.
    const noisy = Array.from({ length: 1000 }, (_, i) => i / 10);
    const quiet = Array.from({ length: 9 }, () => Array.from({ length: 10 }, () => 1));
    const [a, b] = robustRange([noisy, ...quiet], { lo: 0.02, hi: 0.98, pad: 0 })!;
    expect(a).toBe(1);
    expect(b).toBeCloseTo(79.9, 10);
  });

  it('works on log10 of the positive values with log', () => {
    // Values 0.001, 0.01, 0.1, 1, 10 (one run): log10 = −3 … 1; lo 0.2 → cumulative 1 of 5 at −3,
    // hi 0.8 → 4 of 5 at 0; pad 0.25 of the span 3 = 0.75 → [−3.75, 0.75].
    const r = robustRange([[0.001, 0.01, 0.1, 1, 10, 0, -1]], { log: true, lo: 0.2, hi: 0.8, pad: 0.25 })!;
    expect(r[0]).toBeCloseTo(10 ** -3.75, 12);
    expect(r[1]).toBeCloseTo(10 ** 0.75, 12);
  });

  it('falls back to the extremes when the quantiles meet, and has no answer without values', () => {
    // 19 fives and a nine (1/20 each): q(0.05) = 5 and q(0.95) = 5 (cumulative 19/20), so the extremes.
    expect(robustRange([[...Array<number>(19).fill(5), 9]], { pad: 0 })).toEqual([5, 9]);
    expect(robustRange([[3, 3]])).toBeNull();
    // A smoothed constant: 0.1 give or take 1.4e-17 (the debiased EMA's rounding) is flat, not a range of 3e-17.
    expect(robustRange([[0.1, 0.1 + 1.4e-17, 0.1 - 1.4e-17]], { log: true })).toBeNull();
    expect(robustRange([[0.1, 0.1 + 1.4e-17, 0.1 - 1.4e-17]])).toBeNull();
    expect(robustRange([[null, NaN], []])).toBeNull();
    expect(robustRange([[-1, 0]], { log: true })).toBeNull();
  });
});

describe('chartScale: log scale only where every value has a logarithm', () => {
  it('keeps log for positive values and linear when asked', () => {
    expect(chartScale(true, [[0.5, 0.1], [0.3, null]])).toEqual({ log: true });
    expect(chartScale(false, [[0.5, -1]])).toEqual({ log: false });
  });

  it('switches a chart with values ≤ 0 to linear and says so; gaps do not count', () => {
    expect(chartScale(true, [[0.5], [0.2, -0.01]])).toEqual({ log: false, note: 'linear scale: some values ≤ 0' });
    expect(chartScale(true, [[0]])).toEqual({ log: false, note: 'linear scale: some values ≤ 0' });
    expect(chartScale(true, [[null, NaN, Infinity, 2]])).toEqual({ log: true });
  });
});

describe('formatNumber', () => {
  it('shows 4 significant digits, exponents outside [1e-3, 1e5), a dash for no value', () => {
    expect(formatNumber(0.241694)).toBe('0.2417');
    expect(formatNumber(-1673.365479)).toBe('-1673');
    expect(formatNumber(1673365.4)).toBe('1.67e+6');
    expect(formatNumber(0.00004)).toBe('4.00e-5');
    expect(formatNumber(0)).toBe('0');
    expect(formatNumber(0.005, 3)).toBe('0.005');
    for (const v of [null, undefined, NaN, Infinity]) expect(formatNumber(v)).toBe('–');
  });
});

describe('logBounds: a log range uPlot can tick', () => {
  it('rounds each bound outward to one significant digit', () => {
    // 0.00982 = 9.82·10⁻³ → 9·10⁻³; 2.03 = 2.03·10⁰ → 3·10⁰.
    expect(logBounds(0.00982, 2.03)).toEqual([0.009, 3]);
    expect(logBounds(0.138, 0.545)).toEqual([0.1, 0.6]);
    // Exact values stay (3·10⁻⁴ and 10²), whatever the floating-point noise of the division.
    expect(logBounds(0.0003, 100)).toEqual([0.0003, 100]);
    expect(logBounds(1e-24, 7.000000000000001)).toEqual([1e-24, 7]);
  });

  it("gives the doubles a decimal literal gives (what uPlot's tick steps land on)", () => {
    const [lo, hi] = logBounds(0.0712, 41.5);
    expect(lo).toBe(0.07);
    expect(hi).toBe(50);
  });
});
