import { describe, expect, it } from 'vitest';
import { plateau, RxgradError, type PlateauState } from '../../../src/index';

function feed(p: ReturnType<typeof plateau>, metrics: number[], from = p.init()): number[] {
  let s = from;
  return metrics.map((m) => (s = p.update(s, m)).value);
}

describe('plateau (ReduceLROnPlateau as a pure state machine)', () => {
  it("mode 'max', thresholdMode 'abs'", () => {
    // threshold 0.1: 1 best; 1.05 ≤ 1.1 bad 1; 1.2 > 1.1 best; 1.2 bad 1; 1.2 bad 2 > patience 1 → ×0.5
    expect(feed(plateau({ mode: 'max', thresholdMode: 'abs', threshold: 0.1, patience: 1, factor: 0.5 }), [1, 1.05, 1.2, 1.2, 1.2])).toEqual([1, 1, 1, 1, 0.5]);
  });

  it("mode 'min', 'rel': a gain smaller than threshold·best is not an improvement", () => {
    // best 1; 0.99995 ≥ 1·(1 − 1e-4) = 0.9999 → bad; patience 0 → ×0.1
    expect(feed(plateau({ patience: 0 }), [1, 0.99995])).toEqual([1, 0.1]);
  });

  it('cooldown ignores bad metrics after a reduction', () => {
    // patience 0, cooldown 2: m2 reduces (cooldown 2), m3 and m4 are in cooldown, m5 reduces again
    expect(feed(plateau({ patience: 0, cooldown: 2, factor: 0.5 }), [1, 1, 1, 1, 1])).toEqual([1, 0.5, 0.5, 0.5, 0.25]);
  });

  it('minLr bounds the value; a reduction ≤ eps is skipped', () => {
    // 0.1 → max(0.01, 0.005) = 0.01 → max(0.001, 0.005) = 0.005 → 0.005 (0.005 − 0.005 = 0 ≤ eps)
    expect(feed(plateau({ initial: 0.1, patience: 0, minLr: 0.005 }), [1, 1, 1, 1])).toEqual([0.1, 0.010000000000000002, 0.005, 0.005]);
    // 1e-8 → 5e-9 would change it by 5e-9 ≤ eps 1e-8: kept
    expect(feed(plateau({ initial: 1e-8, patience: 0, factor: 0.5 }), [1, 1])).toEqual([1e-8, 1e-8]);
  });

  it('NaN is never an improvement (PyTorch: NaN < inf is false)', () => {
    const p = plateau({ patience: 1 });
    const s = p.update(p.init(), NaN); // not better than "none": bad 1
    expect(s).toEqual({ value: 1, best: null, numBadEpochs: 1, cooldownCounter: 0, count: 1 });
    expect(p.update(s, NaN)).toEqual({ value: 0.1, best: null, numBadEpochs: 0, cooldownCounter: 0, count: 2 }); // bad 2 > 1
  });

  it('update never mutates its input; the state is plain JSON that restores exactly', () => {
    const p = plateau({ patience: 1, cooldown: 1 });
    let s: PlateauState = Object.freeze(p.init());
    for (const m of [3, 2, 2, 2]) s = Object.freeze(p.update(s, m));
    const restored = p.restore(JSON.parse(JSON.stringify(s)));
    expect(restored).toEqual(s);
    expect(feed(p, [2, 2, 2], restored)).toEqual(feed(p, [2, 2, 2], s));
  });

  it('bad options, metrics and saved states name the field', () => {
    const cases: [() => unknown, string][] = [
      [() => plateau({ factor: 1 }), 'Expected `factor` in [0, 1), got 1'],
      [() => plateau({ patience: -1 }), 'Expected `patience` an integer ≥ 0, got -1'],
      [() => plateau({ mode: 'lowest' as never }), 'Expected `mode` one of "min", "max", got "lowest"'],
      [() => plateau({ thresholdMode: 'pct' as never }), 'Expected `thresholdMode` one of "rel", "abs", got "pct"'],
      [() => plateau().update(plateau().init(), '0.5' as never), 'Expected `metric` a number, got "0.5"'],
      [() => plateau().update(plateau().init(), -Infinity), 'Expected `metric` a finite number when it becomes the best, got -Infinity'],
      [() => plateau().restore(null), 'Expected `state` a plateau state object, got null'],
      [() => plateau().restore({ value: 1, best: null, numBadEpochs: 1.5, cooldownCounter: 0, count: 0 }), 'Expected `state.numBadEpochs` an integer ≥ 0, got 1.5'],
    ];
    for (const [fn, message] of cases) {
      expect(fn).toThrow(RxgradError);
      expect(fn).toThrow(message);
    }
  });
});
