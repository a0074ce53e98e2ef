import { describe, expect, it } from 'vitest';
import { accuracy } from '../../../src/metrics/accuracy';
import { logLoss } from '../../../src/metrics/logLoss';
import { rocAuc } from '../../../src/metrics/rocAuc';
import { f1 } from '../../../src/metrics/f1';
import { mae } from '../../../src/metrics/mae';
import { rmse } from '../../../src/metrics/rmse';
import { r2 } from '../../../src/metrics/r2';
import type { Metric } from '../../../src/metrics/Metric';

/** Feed (y, ŷ, p₁) triples (p₁ the probability of class 1, or none) and collect get() after each. */
function run<S>(m: Metric<S>, rows: readonly (readonly number[])[]): number[] {
  const s = m.init();
  return rows.map(([y, yHat, p]) => {
    m.update(s, y, yHat, p === undefined ? undefined : [1 - p, p], 0);
    return m.get(s);
  });
}

const closeAll = (actual: number[], expected: number[], digits: number) => expected.forEach((e, i) => expect(actual[i]).toBeCloseTo(e, digits));

describe('classification metrics, against River’s docstring examples', () => {
  it('accuracy: y [T, F, T, T, T], ŷ [T, T, F, T, T] → 60 %', () => {
    const rows = [[1, 1], [0, 1], [1, 0], [1, 1], [1, 1]];
    expect(run(accuracy(), rows).at(-1)).toBe(0.6);
    expect(accuracy().get(accuracy().init())).toBeNaN();
  });

  it('logLoss: y [T, F, F, T], p [0.9, 0.1, 0.2, 0.65] → 0.105360, 0.105360, 0.144621, 0.216161', () => {
    // −log 0.9 = 0.1053605; −log(1 − 0.1) = 0.1053605; −log 0.8 = 0.2231436; −log 0.65 = 0.4307829
    // running means: 0.1053605, 0.1053605, 0.1446215, 0.2161619
    const rows = [[1, 1, 0.9], [0, 0, 0.1], [0, 0, 0.2], [1, 1, 0.65]];
    closeAll(run(logLoss(), rows), [0.1053605, 0.1053605, 0.1446215, 0.2161619], 6);
  });

  it('logLoss clips p to [1e−15, 1 − 1e−15] and handles k classes', () => {
    // p = 0 for the true class: −log 1e−15 = 34.5387764
    expect(run(logLoss(), [[1, 0, 0]])[0]).toBeCloseTo(34.5387764, 6);
    const m = logLoss();
    const s = m.init();
    m.update(s, 2, 0, [0.5, 0.25, 0.25], 0); // −log 0.25 = 1.3862944
    expect(m.get(s)).toBeCloseTo(1.3862944, 6);
    expect(() => m.update(s, 1, 1, undefined, 0)).toThrow('Expected `proba` the class probabilities (logLoss needs them), got undefined');
  });

  it('rocAuc: River’s 87.50 % with 10 thresholds and the exact 75 % with 20', () => {
    // y [0, 0, 1, 1], p [.1, .4, .35, .8]. T = 10: thresholds i/9 → bins (thresholds below p):
    // .1 → 1, .4 → 4, .35 → 4, .8 → 8. Pairs (positive, negative): (.35, .1) 1, (.35, .4) same bin ½,
    // (.8, .1) 1, (.8, .4) 1 → 3.5 / 4 = 0.875.
    // T = 20: thresholds i/19: .35 → bin 7 (6/19 = .316 < .35 < 7/19 = .368), .4 → bin 8: (.35, .4) counts 0
    // → 3 / 4 = 0.75, the exact AUC.
    const rows = [[0, 0, 0.1], [0, 0, 0.4], [1, 0, 0.35], [1, 1, 0.8]];
    expect(run(rocAuc(), rows).at(-1)).toBeCloseTo(0.875, 12);
    expect(run(rocAuc({ thresholds: 20 }), rows).at(-1)).toBeCloseTo(0.75, 12);
    // NaN until both classes were seen
    expect(run(rocAuc(), rows).slice(0, 2)).toEqual([NaN, NaN]);
    expect(() => rocAuc({ thresholds: 1 })).toThrow('Expected `thresholds` an integer ≥ 2, got 1');
    const m = rocAuc();
    expect(() => m.update(m.init(), 1, 1, [0.2, 0.3, 0.5], 0)).toThrow('Expected `proba` binary class probabilities [1 − p, p] (rocAuc needs them), got length 3');
  });

  it('rocAuc of hard predictions (p ∈ {0, 1}) is (TPR + TNR)/2 for T ≥ 3 (T = 2 puts 0 and 1 in one bin: ½)', () => {
    // y [1, 1, 0, 0, 1], ŷ = p [1, 0, 0, 1, 1]: TPR = 2/3, FPR = 1/2; AUC = ½(1 + TPR − FPR) = ½(1 + 2/3 − 1/2) = 7/12
    const rows = [[1, 1, 1], [1, 0, 0], [0, 0, 0], [0, 1, 1], [1, 1, 1]];
    for (const thresholds of [3, 10, 1000]) expect(run(rocAuc({ thresholds }), rows).at(-1)).toBeCloseTo(7 / 12, 12);
    // T = 2: thresholds −1e−7 and 1 + 1e−7, both 0 and 1 lie between them
    expect(run(rocAuc({ thresholds: 2 }), rows).at(-1)).toBe(0.5);
  });

  it('f1: y [F, F, F, T, T, T], ŷ [F, F, T, T, F, F] → 40 %', () => {
    // tp 1, fp 1, fn 2: precision ½, recall ⅓, F1 = 2·(1/6)/(5/6) = 0.4
    const rows = [[0, 0], [0, 0], [0, 1], [1, 1], [1, 0], [1, 0]];
    expect(run(f1(), rows).at(-1)).toBeCloseTo(0.4, 12);
    expect(run(f1(), [[0, 0]])).toEqual([0]); // River: no positive at all gives 0
  });
});

describe('regression metrics, against River’s docstring examples', () => {
  // y [3, −0.5, 2, 7], ŷ [2.5, 0, 2, 8]: errors 0.5, 0.5, 0, 1
  const rows = [[3, 2.5], [-0.5, 0], [2, 2], [7, 8]];

  it('mae → 0.5, 0.5, 0.333, 0.5', () => {
    closeAll(run(mae(), rows), [0.5, 0.5, 1 / 3, 0.5], 12);
  });

  it('rmse → 0.5, 0.5, 0.408248, 0.612372', () => {
    // mean squares 0.25, 0.25, 0.5/3, 1.5/4 → √: 0.5, 0.5, 0.4082483, 0.6123724
    closeAll(run(rmse(), rows), [0.5, 0.5, 0.4082483, 0.6123724], 6);
  });

  it('r2 → 0.0, 0.9183, 0.9230, 0.9486', () => {
    // n = 2: ȳ = 1.25, SS_tot = 1.75² · 2 = 6.125, SS_res = 0.5 → 1 − 0.5/6.125 = 0.9183673
    // n = 3: ȳ = 1.5, SS_tot = 2.25 + 4 + 0.25 = 6.5, SS_res = 0.5 → 0.9230769
    // n = 4: ȳ = 2.875, SS_tot = 0.015625 + 11.390625 + 0.765625 + 17.015625 = 29.1875, SS_res = 1.5 → 0.9486081
    closeAll(run(r2(), rows), [0, 0.9183673, 0.9230769, 0.9486081], 6);
    expect(r2().get(r2().init())).toBeNaN();
  });
});
