import { describe, expect, it } from 'vitest';
import { elec2, ELEC2_PATH } from '../../../streams/sources/elec2';

describe('elec2', () => {
  it('has the 45,312 rows of data/README.md in time order, 42.45 % UP, and no-change right on 85.33 %', () => {
    const t = elec2();
    expect(ELEC2_PATH.endsWith('data/elec2.csv.gz')).toBe(true);
    expect([t.n, t.d, t.xs.length, t.ys.length]).toEqual([45_312, 6, 45_312 * 6, 45_312]);
    // data/README.md: "42.45 % of rows are UP"
    const up = t.ys.reduce((s, y) => s + y, 0);
    expect((100 * up) / t.n).toBeCloseTo(42.45, 2);
    // data/README.md: the no-change classifier (the previous row's label; the first row has none,
    // so it counts as wrong) is right on 85.33 % of the rows
    let same = 0;
    for (let i = 1; i < t.n; i++) if (t.ys[i] === t.ys[i - 1]) same += 1;
    expect((100 * same) / t.n).toBeCloseTo(85.33, 2);
    // the file's first row: 0.0,0.05644299999999999,0.439155,0.003467,0.422915,0.414912,1
    expect(Array.from(t.xs.subarray(0, 6))).toEqual([0, 0.056443, 0.439155, 0.003467, 0.422915, 0.414912].map(Math.fround));
    expect(t.ys[0]).toBe(1);
    // period of the day steps by 1/47 every half hour: row 2 is 0.021277
    expect(t.xs[6]).toBe(Math.fround(0.021277));
    expect(t.xs.every((v) => v >= 0 && v <= 1)).toBe(true);
  });

  it('names a missing file', () => {
    expect(() => elec2('/nonexistent/elec2.csv.gz')).toThrow('ENOENT');
  });
});
