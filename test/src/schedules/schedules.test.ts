import { describe, expect, it } from 'vitest';
import {
  clamp,
  constantFactor,
  cosine,
  cosineWarmRestarts,
  cyclic,
  exponential,
  inverseTime,
  lambdaSchedule,
  linear,
  multiStep,
  multiplicative,
  oneCycle,
  perEpoch,
  piecewiseConstant,
  polynomial,
  product,
  RxgradError,
  scale,
  scheduleOf,
  sequence,
  stepDecay,
  stepsBefore,
  warmup,
} from '../../../src/index';

// Hand-derived values (the PyTorch configurations are checked in torchReference.test.ts).

describe('Keras schedules (Keras counts s = t − 1)', () => {
  it('inverseTime: base / (1 + rate · s / decaySteps)', () => {
    const s = inverseTime({ base: 0.1, decaySteps: 10, decayRate: 0.5 });
    expect(s(1)).toBe(0.1);
    expect(s(6)).toBeCloseTo(0.1 / 1.25, 15); // s = 5
    expect(s(11)).toBeCloseTo(0.1 / 1.5, 15); // s = 10
    const stairs = inverseTime({ base: 0.1, decaySteps: 10, decayRate: 0.5, staircase: true });
    expect(stairs(6)).toBe(0.1); // ⌊0.5⌋ = 0
    expect(stairs(21)).toBeCloseTo(0.05, 15); // ⌊2⌋ = 2 → 0.1 / 2
  });

  it('piecewiseConstant: values[0] while s ≤ b0, values[1] while s ≤ b1, then values[2]', () => {
    const s = piecewiseConstant({ boundaries: [100, 110], values: [1, 0.5, 0.1] });
    expect([s(1), s(101), s(102), s(111), s(112), s(1000)]).toEqual([1, 1, 0.5, 0.5, 0.1, 0.1]);
  });

  it('polynomial with end and cycle (Keras PolynomialDecay)', () => {
    const s = polynomial({ base: 0.1, end: 0.01, totalIters: 10 });
    expect(s(6)).toBeCloseTo(0.09 * 0.5 + 0.01, 15); // e = 5: (0.1 − 0.01)(1 − 5/10) + 0.01
    expect(s(21)).toBeCloseTo(0.01, 15);
    const c = polynomial({ base: 0.1, end: 0.01, totalIters: 10, cycle: true });
    expect(c(11)).toBeCloseTo(0.01, 15); // e = 10: T' = 10·⌈1⌉, fraction 1
    expect(c(16)).toBeCloseTo(0.09 * 0.25 + 0.01, 15); // e = 15: T' = 10·⌈1.5⌉ = 20, fraction 0.75
  });

  it('cosineWarmRestarts with mMul matches Keras CosineDecayRestarts(1, 5, t_mul 2, m_mul 0.5, alpha 0.1)', () => {
    // Keras at s = 5: completed fraction 1 → i_restart 1, fraction 0 → decayed = 0.9·0.5·1 + 0.1 = 0.55.
    const s = cosineWarmRestarts({ base: 1, t0: 5, tMult: 2, mMul: 0.5, etaMin: 0.1 });
    expect(s(6)).toBeCloseTo(0.55, 15);
    // s = 10: cycle 1 (length 10), T_cur = 5 → 0.1 + 0.9·0.5·(1 + cos(π/2))/2 = 0.325
    expect(s(11)).toBeCloseTo(0.325, 15);
  });
});

describe('PyTorch schedules beyond the fixture (hand derivations)', () => {
  it('multiplicative: base · Π λ(i), any evaluation order', () => {
    const s = multiplicative({ base: 1, lambda: (i) => 1 / (i + 1) });
    expect(s(4)).toBeCloseTo(1 / 24, 15); // λ(1)λ(2)λ(3) = 1/2 · 1/3 · 1/4
    expect(s(2)).toBeCloseTo(1 / 2, 15);
    expect(s(1)).toBe(1);
  });

  it('cosineWarmRestarts with tMult 1 restarts every t0 steps', () => {
    const s = cosineWarmRestarts({ base: 1, t0: 5 });
    expect(s(6)).toBe(1);
    expect(s(8)).toBeCloseTo((1 + Math.cos((2 * Math.PI) / 5)) / 2, 15); // e = 7, T_cur = 2
  });

  it('cyclic exp_range, unequal up/down, custom scaleFn', () => {
    // up 2, down 2, e = 2: c = 1, x = 0.5 = r → h = 1, scaled by 0.9^e = 0.81
    expect(cyclic({ base: 0, peak: 1, stepSizeUp: 2, mode: 'exp_range', gamma: 0.9 })(3)).toBeCloseTo(0.81, 15);
    // up 1, down 3 (r = 0.25): e = 1 → x = 0.25 → 1; e = 2 → (0.5 − 1)/(0.25 − 1) = 2/3; e = 3 → 1/3; e = 4 → 0
    const s = cyclic({ base: 0, peak: 1, stepSizeUp: 1, stepSizeDown: 3 });
    expect([s(2), s(3), s(4), s(5)].map((v) => +v.toFixed(12))).toEqual([1, +(2 / 3).toFixed(12), +(1 / 3).toFixed(12), 0]);
    // scaleFn of the count: e = 2 → h = 1 · (1 / (1 + 2))
    expect(cyclic({ base: 0, peak: 1, stepSizeUp: 2, scaleFn: (e) => 1 / (1 + e), scaleMode: 'iterations' })(3)).toBeCloseTo(1 / 3, 15);
    // momentum cycles the other way: from 0.95 at the start of a cycle down to 0.85 at the peak
    expect(cyclic({ base: 0.95, peak: 0.85, stepSizeUp: 5 })(6)).toBeCloseTo(0.85, 15);
  });

  it('oneCycle: epochs × stepsPerEpoch, custom initial / final (momentum), PyTorch step limit', () => {
    const a = oneCycle({ peak: 0.5, totalSteps: 60 });
    const b = oneCycle({ peak: 0.5, epochs: 6, stepsPerEpoch: 10 });
    expect([1, 18, 40, 60].map((t) => b(t))).toEqual([1, 18, 40, 60].map((t) => a(t)));
    const m = oneCycle({ peak: 0.85, initial: 0.95, final: 0.95, totalSteps: 60 });
    expect([m(1), m(18), m(60)]).toEqual([0.95, 0.85, 0.95]);
    expect(a(61)).toBeTypeOf('number'); // PyTorch allows total_steps scheduler steps
    expect(() => a(62)).toThrow('Expected `step` ≤ totalSteps + 1 (61) for this one-cycle schedule, got 62');
  });

  it('multiStep: a repeated milestone decays twice (PyTorch counts milestones)', () => {
    const s = multiStep({ base: 1, milestones: [3, 3], gamma: 0.5 });
    expect([s(3), s(4)]).toEqual([1, 0.25]);
  });

  it('constantFactor and lambdaSchedule', () => {
    expect([1, 5, 6].map(constantFactor({ base: 0.3 }))).toEqual([0.1, 0.1, 0.3].map((v) => (v === 0.3 ? 0.3 : 0.3 / 3)));
    expect(lambdaSchedule({ base: 2, lambda: (e) => e })(4)).toBe(6); // 2 · e, e = 3
  });
});

describe('combinators', () => {
  it('sequence: each later schedule restarts its count; numbers are constants', () => {
    const s = sequence([exponential({ base: 1, gamma: 0.5 }), 0.3, exponential({ base: 2, gamma: 0.5 })], [3, 5]);
    // steps 1–3: 1, 0.5, 0.25; steps 4–5: 0.3; steps 6…: 2, 1, 0.5 (own count from 1)
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((t) => s(t))).toEqual([1, 0.5, 0.25, 0.3, 0.3, 2, 1, 0.5]);
  });

  it('sequence passes the epoch through', () => {
    const s = sequence([0.1, perEpoch((e) => e)], [2]);
    expect(s(3, 7)).toBe(7);
  });

  it('product, scale and clamp', () => {
    const p = product(0.1, exponential({ base: 1, gamma: 0.5 }), (t) => t);
    expect(p(3)).toBeCloseTo(0.1 * 0.25 * 3, 15);
    expect(scale(0.1, cosine({ base: 1, tMax: 10 }))(1)).toBeCloseTo(0.1, 15);
    const c = clamp(exponential({ base: 1, gamma: 0.1 }), { min: 0.005, max: 0.5 });
    expect([c(1), c(2), c(3), c(4)]).toEqual([0.5, 0.1, 0.010000000000000002, 0.005]);
  });

  it('warmup: linear ramp to s(1) over n steps, then s from its own step 1', () => {
    const s = warmup(5, cosine({ base: 0.1, tMax: 95 }));
    // t ≤ 5: 0.1 · (t − 1)/5
    [0, 0.02, 0.04, 0.06, 0.08].forEach((v, i) => expect(s(i + 1)).toBeCloseTo(v, 15));
    expect(s(6)).toBeCloseTo(0.1, 15);
    expect(s(101)).toBeCloseTo(0, 15); // cosine's own e = 95 = T_max
    expect(warmup(5, 0.1, { startFactor: 0.2 })(1)).toBeCloseTo(0.02, 15);
  });

  it('perEpoch: the book exercise, lr ÷ 10 each epoch', () => {
    const s = perEpoch(exponential({ base: 0.05, gamma: 0.1 }));
    expect([s(1, 1), s(150, 1), s(151, 2), s(301, 3)]).toEqual([0.05, 0.05, 0.005000000000000001, 0.0005000000000000001]);
  });
});

describe('bad input', () => {
  const cases: [string, () => unknown, string][] = [
    ['step 0', () => stepsBefore(0), 'Expected `step` an integer ≥ 1, got 0'],
    ['fractional step', () => cosine({ base: 1, tMax: 3 })(1.5), 'Expected `step` an integer ≥ 1, got 1.5'],
    ['missing options', () => stepDecay(undefined as never), 'Expected `base` a finite number, got undefined'],
    ['stepSize 0', () => stepDecay({ base: 1, stepSize: 0 }), 'Expected `stepSize` an integer ≥ 1, got 0'],
    ['negative gamma', () => exponential({ base: 1, gamma: -1 }), 'Expected `gamma` ≥ 0, got -1'],
    ['milestones not an array', () => multiStep({ base: 1, milestones: 3 as never }), 'Expected `milestones` an array of integers ≥ 1, got 3'],
    ['factor > 1', () => constantFactor({ base: 1, factor: 2 }), 'Expected `factor` in [0, 1], got 2'],
    ['cyclic mode', () => cyclic({ base: 0, peak: 1, mode: 'sine' as never }), 'Expected `mode` one of "triangular", "triangular2", "exp_range", got "sine"'],
    ['tMult < 1', () => cosineWarmRestarts({ base: 1, t0: 2, tMult: 0.5 }), 'Expected `tMult` ≥ 1, got 0.5'],
    ['pctStart', () => oneCycle({ peak: 1, totalSteps: 10, pctStart: 2 }), 'Expected `pctStart` in [0, 1], got 2'],
    ['oneCycle length', () => oneCycle({ peak: 1 }), 'Expected `epochs` an integer ≥ 1, got undefined'],
    ['anneal', () => oneCycle({ peak: 1, totalSteps: 9, anneal: 'exp' as never }), 'Expected `anneal` one of "cos", "linear", got "exp"'],
    ['boundaries order', () => piecewiseConstant({ boundaries: [5, 5], values: [1, 2, 3] }), 'Expected `boundaries[1]` > boundaries[0] (5), got 5'],
    ['values length', () => piecewiseConstant({ boundaries: [5], values: [1] }), 'Expected `values` an array of 2 numbers (one more than boundaries), got [1]'],
    ['sequence milestones', () => sequence([1, 2], []), 'Expected `milestones` an array of 1 step (one fewer than schedules), got []'],
    ['sequence order', () => sequence([1, 2, 3], [4, 2]), 'Expected `milestones[1]` > milestones[0] (4), got 2'],
    ['schedule not a function', () => product(1, 'x' as never), 'Expected `schedules[1]` a number or a schedule (step, epoch) => value, got "x"'],
    ['NaN constant', () => scheduleOf('lr', NaN), 'Expected `lr` a finite number, got NaN'],
    ['clamp bounds', () => clamp(1, { min: 2, max: 1 }), 'Expected `max` ≥ min (2), got 1'],
    ['warmup steps', () => warmup(0, 1), 'Expected `steps` an integer ≥ 1, got 0'],
    ['no epoch', () => perEpoch(1)(3), 'Expected `epoch` an integer ≥ 1, got undefined'],
    ['lambda', () => lambdaSchedule({ base: 1, lambda: 2 as never }), 'Expected `lambda` a function of the count e = t − 1, got 2'],
    ['linear totalIters', () => linear({ base: 1, totalIters: 0 }), 'Expected `totalIters` an integer ≥ 1, got 0'],
  ];
  for (const [name, fn, message] of cases) {
    it(name, () => {
      expect(fn).toThrow(RxgradError);
      expect(fn).toThrow(message);
    });
  }
});
