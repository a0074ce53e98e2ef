import { describe, expect, it } from 'vitest';
import { noChange } from '../../../src/metrics/noChange';
import { majority } from '../../../src/metrics/majority';
import { lastValue } from '../../../src/metrics/lastValue';
import { runningMean } from '../../../src/metrics/runningMean';

describe('baselines', () => {
  it('noChange predicts the previous label, one-hot; uniform before any', () => {
    const b = noChange({ classes: 3 });
    const s = b.init();
    expect([b.predict(s, 0), Array.from(b.predictProba!(s))]).toEqual([0, [1 / 3, 1 / 3, 1 / 3]]);
    // labels 2, 0, 0, 1: predictions before each are 0 (none yet), 2, 0, 0 → right on the 3rd only
    const predicted = [2, 0, 0, 1].map((y) => {
      const yHat = b.predict(s, 0);
      b.learn(s, y, 0);
      return yHat;
    });
    expect(predicted).toEqual([0, 2, 0, 0]);
    expect(Array.from(b.predictProba!(s))).toEqual([0, 1, 0]);
    expect(() => b.learn(s, 3, 0)).toThrow('Expected `y` a class index in [0, 3), got 3');
  });

  it('majority predicts the most frequent label so far (lowest index on ties) with the frequencies', () => {
    const b = majority();
    const s = b.init();
    // labels 1, 0, 0, 1, 1: counts before each: (0,0) → 0, (0,1) → 1, (1,1) tie → 0, (2,1) → 0, (2,2) tie → 0
    const predicted = [1, 0, 0, 1, 1].map((y) => {
      const yHat = b.predict(s, 0);
      b.learn(s, y, 0);
      return yHat;
    });
    expect(predicted).toEqual([0, 1, 0, 0, 0]);
    // counts (2, 3): ŷ 1, p = [0.4, 0.6]
    expect(b.predict(s, 0)).toBe(1);
    expect(Array.from(b.predictProba!(s))).toEqual([0.4, 0.6]);
  });

  it('lastValue and runningMean for regression', () => {
    const last = lastValue();
    const mean = runningMean();
    const ls = last.init();
    const ms = mean.init();
    expect([last.predict(ls, 0), mean.predict(ms, 0)]).toEqual([0, 0]);
    // y 1, 2, 6: last value 6; mean (1 + 2 + 6)/3 = 3
    for (const y of [1, 2, 6]) {
      last.learn(ls, y, 0);
      mean.learn(ms, y, 0);
    }
    expect([last.predict(ls, 0), mean.predict(ms, 0)]).toEqual([6, 3]);
    expect(() => mean.learn(ms, NaN, 0)).toThrow('Expected `y` a finite number, got NaN');
    expect(last.classes).toBeUndefined();
  });
});
