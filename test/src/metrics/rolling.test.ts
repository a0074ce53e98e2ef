import { describe, expect, it } from 'vitest';
import { rolling } from '../../../src/metrics/rolling';
import { accuracy } from '../../../src/metrics/accuracy';
import { rmse } from '../../../src/metrics/rmse';
import { mae } from '../../../src/metrics/mae';
import { logLoss } from '../../../src/metrics/logLoss';
import { rocAuc } from '../../../src/metrics/rocAuc';
import { f1 } from '../../../src/metrics/f1';
import { r2 } from '../../../src/metrics/r2';
import type { Metric } from '../../../src/metrics/Metric';

describe('rolling', () => {
  it('by count: River’s Rolling(MSE, window_size=2) example through rmse', () => {
    // y [3, −0.5, 2, 7], ŷ [2.5, 0, 2, 8]: squared errors 0.25, 0.25, 0, 1
    // River's rolling MSE: 0.25, 0.25, (0.25 + 0)/2 = 0.125, (0 + 1)/2 = 0.5 → RMSE √: 0.5, 0.5, 0.3535534, 0.7071068
    const m = rolling(rmse(), { window: 2 });
    const s = m.init();
    const out = [[3, 2.5], [-0.5, 0], [2, 2], [7, 8]].map(([y, yHat]) => (m.update(s, y, yHat, undefined, 0), m.get(s)));
    [0.5, 0.5, 0.3535534, 0.7071068].forEach((e, i) => expect(out[i]).toBeCloseTo(e, 6));
    expect(m.name).toBe('rolling.rmse');
    expect(m.get(m.init())).toBeNaN();
  });

  it('by time: River’s TimeRolling(Mean, 3 days) example (mae against ŷ = 0 is the mean of |y|)', () => {
    // y 1, 5, 9, 13 on days 1–4; the window keeps t > t_now − 3 days:
    // day 1: [1] → 1; day 2: [1, 5] → 3; day 3: [1, 5, 9] → 5; day 4: day 1 leaves → [5, 9, 13] → 9
    const day = 86_400_000;
    const m = rolling(mae(), { windowMs: 3 * day });
    const s = m.init();
    const out = [1, 5, 9, 13].map((y, i) => (m.update(s, y, 0, undefined, (i + 1) * day), m.get(s)));
    expect(out).toEqual([1, 3, 5, 9]);
  });

  it('by time with a cap: the oldest leave early and are counted', () => {
    const m = rolling(accuracy(), { windowMs: 1000, cap: 2 });
    const s = m.init();
    // all within 1 s: right, wrong, wrong → the cap keeps the last two: 0/2; one left early
    [[1, 1], [1, 0], [0, 1]].forEach(([y, yHat], i) => m.update(s, y, yHat, undefined, i));
    expect(m.get(s)).toBe(0);
    expect(s.early).toBe(1);
  });

  it('equals the metric recomputed on the last w examples, for every metric', () => {
    let seed = 7;
    const rnd = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    const stream = Array.from({ length: 300 }, () => {
      const p = rnd();
      const y = rnd() < p ? 1 : 0;
      return { y, yHat: p > 0.5 ? 1 : 0, proba: [1 - p, p] };
    });
    const metrics: Metric<any>[] = [accuracy(), logLoss(), rocAuc(), f1(), mae(), rmse(), r2()];
    for (const metric of metrics) {
      const w = 25;
      const m = rolling(metric, { window: w });
      const s = m.init();
      stream.forEach(({ y, yHat, proba }, t) => {
        m.update(s, y, yHat, proba, t);
        if (t % 37 !== 0) return;
        const fresh = metric.init();
        for (const e of stream.slice(Math.max(0, t - w + 1), t + 1)) metric.update(fresh, e.y, e.yHat, e.proba, 0);
        const expected = metric.get(fresh);
        if (Number.isNaN(expected)) expect(m.get(s)).toBeNaN();
        else expect(m.get(s)).toBeCloseTo(expected, 9);
      });
    }
  });

  it('rejects bad options, naming the field', () => {
    expect(() => rolling(accuracy(), {} as { window: number })).toThrow('Expected `window` exactly one of { window } or { windowMs, cap? }, got {}');
    expect(() => rolling(accuracy(), { window: 0 })).toThrow('Expected `window` an integer ≥ 1, got 0');
    expect(() => rolling(accuracy(), { windowMs: -1 })).toThrow('Expected `windowMs` > 0, got -1');
    expect(() => rolling({ ...accuracy(), revert: undefined }, { window: 3 })).toThrow('Expected `metric` a metric with revert()');
    const m = rolling(logLoss(), { window: 3 });
    const s = m.init();
    m.update(s, 1, 1, [0.2, 0.8], 0);
    expect(() => m.update(s, 1, 1, [0.2, 0.3, 0.5], 0)).toThrow('Expected `proba` 2 probabilities, got [0.2, 0.3, 0.5]');
  });
});
