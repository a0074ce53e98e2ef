import { describe, expect, it } from 'vitest';
import { accuracy } from '../../../src/metrics/accuracy';
import { logLoss } from '../../../src/metrics/logLoss';
import { rocAuc } from '../../../src/metrics/rocAuc';
import { f1 } from '../../../src/metrics/f1';
import { mae } from '../../../src/metrics/mae';
import { rmse } from '../../../src/metrics/rmse';
import { r2 } from '../../../src/metrics/r2';
import { rolling } from '../../../src/metrics/rolling';
import { noChange } from '../../../src/metrics/noChange';
import { majority } from '../../../src/metrics/majority';
import { lastValue } from '../../../src/metrics/lastValue';
import { runningMean } from '../../../src/metrics/runningMean';
import type { Metric } from '../../../src/metrics/Metric';
import type { Baseline } from '../../../src/metrics/Baseline';

let seed = 11;
const rnd = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
const stream = Array.from({ length: 400 }, (_, t) => {
  const p = rnd();
  const y = rnd() < p ? 1 : 0;
  return { y, yHat: p > 0.5 ? 1 : 0, proba: [1 - p, p], value: 10 * rnd() - 5, guess: 10 * rnd() - 5, time: t * 250 };
});
const json = <T>(s: T): T => JSON.parse(JSON.stringify(s)) as T;

describe('JSON round trip mid-stream continues identically', () => {
  const classification: Metric<any>[] = [accuracy(), logLoss(), rocAuc({ thresholds: 50 }), f1(), rolling(accuracy(), { window: 30 }), rolling(rocAuc(), { windowMs: 10_000, cap: 20 }), rolling(logLoss(), { window: 7 })];
  const regression: Metric<any>[] = [mae(), rmse(), r2(), rolling(r2(), { window: 20 }), rolling(mae(), { windowMs: 5_000 })];
  for (const m of [...classification, ...regression]) {
    it(m.name, () => {
      const regress = regression.includes(m);
      const a = m.init();
      let b: unknown;
      stream.forEach((e, t) => {
        if (t === 173) b = json(a);
        const [y, yHat, proba] = regress ? [e.value, e.guess, undefined] : [e.y, e.yHat, e.proba];
        m.update(a, y, yHat, proba, e.time);
        if (t >= 173) {
          m.update(b, y, yHat, proba, e.time);
          expect(m.get(b)).toBe(m.get(a));
        }
      });
      expect(b).toEqual(a);
    });
  }

  const baselines: Baseline<any>[] = [noChange(), majority(), noChange({ classes: 3 }), lastValue(), runningMean()];
  for (const bl of baselines) {
    it(`${bl.name}${bl.classes ? ` (${bl.classes} classes)` : ''}`, () => {
      const a = bl.init();
      let b: unknown;
      stream.forEach((e, t) => {
        if (t === 201) b = json(a);
        const y = bl.classes === undefined ? e.value : bl.classes === 3 ? (e.y + t) % 3 : e.y;
        if (t >= 201) {
          expect(bl.predict(b, e.time)).toBe(bl.predict(a, e.time));
          if (bl.predictProba) expect(Array.from(bl.predictProba(b))).toEqual(Array.from(bl.predictProba(a)));
          bl.learn(b, y, e.time);
        }
        bl.learn(a, y, e.time);
      });
      expect(b).toEqual(a);
    });
  }
});
