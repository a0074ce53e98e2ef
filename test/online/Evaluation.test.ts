import { describe, expect, it } from 'vitest';
import { accuracy } from '../../src/metrics/accuracy';
import { logLoss } from '../../src/metrics/logLoss';
import { mae } from '../../src/metrics/mae';
import { noChange } from '../../src/metrics/noChange';
import { runningMean } from '../../src/metrics/runningMean';
import { Evaluation, named } from '../../src/online/Evaluation';

const binary = () => new Evaluation('binary', 2, named('metrics', [accuracy(), logLoss()]), named('baselines', [noChange()]));

describe('Evaluation', () => {
  it("scores the model's and the baselines' predictions made at the question, then the baselines learn", () => {
    const ev = binary();
    // 1: noChange knows nothing: ŷ 0, p [½, ½]. y 1; model p = [0.2, 0.8] → ŷ 1 ✓, −ln 0.8; noChange ✗, −ln ½
    const asked1 = ev.ask(0);
    expect(asked1).toEqual([0, 0.5, 0.5]);
    expect(ev.answer(1, Float32Array.of(0.2, 0.8), 0, asked1, 0)).toBe(1);
    // 2: noChange says 1 with p [0, 1]. y 0; model [0.6, 0.4] → ŷ 0 ✓, −ln 0.6; noChange ✗, −ln(1e-15) (clipped)
    const asked2 = ev.ask(1);
    expect(asked2).toEqual([1, 0, 1]);
    expect(ev.answer(0, [0.6, 0.4], 0, asked2, 1)).toBe(0);
    const r = ev.report();
    expect(r.metrics.accuracy).toBe(1);
    // (−ln 0.8 − ln 0.6) / 2 = (0.22314355 + 0.51082562) / 2 = 0.36698459 (float32 scores: 1e-7)
    expect(r.metrics.logLoss).toBeCloseTo(0.36698459, 6);
    expect(r.baselines.noChange.accuracy).toBe(0);
    // River's binary log loss clips p(1) to [1e-15, 1 − 1e-15] and takes −ln(1 − p) for y 0:
    // 1 − (1 − 1e-15) = 9.992007221626409e-16 in doubles, −ln of it = 34.53957599;
    // (ln 2 + 34.53957599) / 2 = 17.61636159
    expect(r.baselines.noChange.logLoss).toBeCloseTo(17.61636159, 6);
  });

  it('reads the scores row at its offset', () => {
    const ev = binary();
    // rows [0.9, 0.1], [0.3, 0.7]: the second row at offset 2 → ŷ 1
    expect(ev.answer(1, Float32Array.of(0.9, 0.1, 0.3, 0.7), 2, ev.ask(0), 0)).toBe(1);
    expect(ev.report().metrics.logLoss).toBeCloseTo(-Math.log(0.7), 6);
  });

  it('regression: ŷ is the score; value baselines', () => {
    const ev = new Evaluation('regression', 1, named('metrics', { err: mae() }), named('baselines', [runningMean()]));
    // y 2, ŷ 1.5 → |0.5|; running mean predicts 0 → |2|; then y 4, ŷ 3 → |1|; mean 2 → |2|
    ev.answer(2, [1.5], 0, ev.ask(0), 0);
    ev.answer(4, [3], 0, ev.ask(1), 1);
    expect(ev.report()).toEqual({ metrics: { err: 0.75 }, baselines: { runningMean: { err: 2 } } });
  });

  it('continues exactly from a JSON round trip of its state', () => {
    const a = binary();
    a.answer(1, [0.2, 0.8], 0, a.ask(0), 0);
    const b = new Evaluation('binary', 2, named('metrics', [accuracy(), logLoss()]), named('baselines', [noChange()]), JSON.parse(JSON.stringify(a.save())));
    for (const ev of [a, b]) ev.answer(0, [0.6, 0.4], 0, ev.ask(1), 1);
    expect(b.report()).toEqual(a.report());
    expect(b.save()).toEqual(a.save());
  });

  it('report() without baselines: a new metrics record per call, one shared empty frozen baselines record; a restored state is updated', () => {
    const ev = new Evaluation('binary', 2, named('metrics', [accuracy()]), []);
    // y 1, p = [0.3, 0.7] → ŷ 1 ✓: accuracy 1; then y 0 with the same scores → ✗: ½
    ev.answer(1, [0.3, 0.7], 0, ev.ask(0), 0);
    const first = ev.report();
    ev.answer(0, [0.3, 0.7], 0, ev.ask(1), 1);
    const second = ev.report();
    expect([first.metrics.accuracy, second.metrics.accuracy]).toEqual([1, 0.5]);
    expect(second.metrics).not.toBe(first.metrics);
    expect(second.baselines).toEqual({});
    expect(Object.isFrozen(second.baselines)).toBe(true);
    // From the saved state (½ after two): y 1 → ✓, 2 of 3.
    const resumed = new Evaluation('binary', 2, named('metrics', [accuracy()]), [], ev.save());
    resumed.answer(1, [0.3, 0.7], 0, resumed.ask(2), 2);
    expect(resumed.report().metrics.accuracy).toBeCloseTo(2 / 3, 12);
    expect(ev.report().metrics.accuracy).toBe(0.5);
  });

  it('save() is a copy', () => {
    const ev = binary();
    const saved = ev.save();
    ev.answer(1, [0.2, 0.8], 0, ev.ask(0), 0);
    expect(saved.metrics.accuracy).toEqual(accuracy().init());
  });

  it('names duplicated or malformed metrics, and a saved state missing one', () => {
    expect(() => named('metrics', [accuracy(), accuracy()])).toThrow('Expected `metrics` unique names (give a record to name them yourself), got "accuracy"');
    expect(() => named('metrics', { a: 3 as never })).toThrow('Expected `metrics.a` a state machine { name, init, … }, got 3');
    expect(() => new Evaluation('binary', 2, named('metrics', [accuracy()]), [], { metrics: {}, baselines: {} })).toThrow('Expected `state.metrics.accuracy` the saved state of every metric');
  });
});
