import { describe, expect, it } from 'vitest';
import { adwin } from '../../../src/drift/adwin';
import { ddm } from '../../../src/drift/ddm';
import type { DriftDetector, DriftStatus } from '../../../src/drift/DriftDetector';
import { pageHinkley } from '../../../src/drift/pageHinkley';
import { RxgradError } from '../../../src/RxgradError';
import { mulberry32 } from '../../../streams/sources/mulberry32';

/** Bernoulli(p0) errors for `change` values, then Bernoulli(p1). */
function bernoulli(seed: number, n: number, change: number, p0: number, p1: number): number[] {
  const rand = mulberry32(seed);
  return Array.from({ length: n }, (_, i) => +(rand() < (i < change ? p0 : p1)));
}

/** Every status per value, with a JSON round trip of the state after value `cutAt` (or none). */
function run<S>(detector: DriftDetector<S>, stream: readonly number[], cutAt = -1): DriftStatus[] {
  let state = detector.init();
  return stream.map((x, i) => {
    const status = detector.update(state, x);
    if (i === cutAt) state = JSON.parse(JSON.stringify(state)) as S;
    return status;
  });
}

const detectors: Record<string, () => DriftDetector<any>> = { adwin: () => adwin(), pageHinkley: () => pageHinkley(), ddm: () => ddm() };

describe('adwin', () => {
  it('keeps total, width and the sum of squared deviations (River: variance not divided by the width)', () => {
    const d = adwin();
    const s = d.init();
    for (const x of [1, 2, 3, 4, 5]) d.update(s, x);
    // total 15, width 5, Σ(x − 3)² = 4 + 1 + 0 + 1 + 4 = 10, mean 3.
    expect(s.total).toBe(15);
    expect(s.width).toBe(5);
    expect(s.variance).toBeCloseTo(10, 12);
    expect(d.statistic(s)).toBe(3);
  });

  it('grows the window one value at a time and merges buckets into levels of 2^i', () => {
    const d = adwin();
    const s = d.init();
    for (let i = 1; i <= 100; i++) {
      d.update(s, 1);
      expect(s.width).toBe(i);
    }
    // The buckets account for every value: Σ_i 2^i · (buckets at level i) = width.
    expect(s.totals.reduce((acc, level, i) => acc + level.length * 2 ** i, 0)).toBe(100);
    expect(s.totals.every((level) => level.length <= 5)).toBe(true);
  });

  it('detects nothing on a constant stream (River regression test: 5000 ones)', () => {
    expect(run(adwin(), new Array(5000).fill(1)).filter((x) => x === 'drift')).toEqual([]);
  });

  it('respects the grace period (River: gracePeriod 100, clock 1, 50 zeros then 50 × 1000)', () => {
    const stream = [...new Array(50).fill(0), ...new Array(50).fill(1000)];
    expect(run(adwin({ gracePeriod: 100, clock: 1 }), stream)).not.toContain('drift');
  });

  it('starts from an empty window on the value after a drift (River: width 1)', () => {
    const d = adwin({ clock: 1 });
    const s = d.init();
    for (let i = 0; i < 500; i++) d.update(s, 0);
    let i = 0;
    while (d.update(s, 100) !== 'drift') i++;
    expect(i).toBeLessThan(500);
    // The window at detection was cut, not emptied: its mean is between the two levels.
    expect(d.statistic(s)).toBeGreaterThan(0);
    d.update(s, 50);
    expect(s.width).toBe(1);
    expect(d.statistic(s)).toBe(50);
  });
});

describe('pageHinkley', () => {
  it('follows the hand-derived sums', () => {
    // x = 1, 3 with δ = 0.005, α = 0.9999:
    //   n=1: x̄ = 1, d = 0: S⁺ = −0.005, S⁻ = 0.005, m⁺ = −0.005, M⁻ = 0.005
    //   n=2: x̄ = 2, d = 1: S⁺ = 0.9999·(−0.005) + 1 − 0.005 = 0.9900005, S⁻ = 0.9999·0.005 + 1.005 = 1.0099995
    //        m⁺ = −0.005, M⁻ = 1.0099995 → T⁺ = 0.9950005, T⁻ = 0
    const d = pageHinkley({ minInstances: 1, threshold: 0.5, mode: 'up' });
    const s = d.init();
    expect(d.update(s, 1)).toBe('none');
    expect(d.update(s, 3)).toBe('drift');
    expect(s.sumIncrease).toBeCloseTo(0.9900005, 12);
    expect(s.sumDecrease).toBeCloseTo(1.0099995, 12);
    expect(d.statistic(s)).toBeCloseTo(0.9950005, 12);
    expect(pageHinkley({ mode: 'down' }).statistic(s)).toBeCloseTo(0, 12);
  });

  it('waits for minInstances', () => {
    const stream = [...new Array(10).fill(0), ...new Array(10).fill(1000)];
    expect(run(pageHinkley({ minInstances: 30 }), stream)).not.toContain('drift');
    expect(run(pageHinkley({ minInstances: 5 }), stream)).toContain('drift');
  });
});

describe('ddm', () => {
  it('follows the hand-derived p + s and the warm start', () => {
    // x = 1, 0, 1, 1: p = 3/4, s = √(0.75·0.25/4) = √0.046875 = 0.21650635094610965
    const d = ddm({ warmStart: 2 });
    const s = d.init();
    for (const x of [1, 0, 1, 1]) d.update(s, x);
    expect(s.p).toBe(0.75);
    expect(d.statistic(s)).toBeCloseTo(0.75 + 0.21650635094610965, 14);
    // n=3 (first after the warm start): p = 2/3, s = √(2/9/3) = 0.2721655, p + s = 0.9388322 → the minimum;
    // n=4: p + s = 0.9665064 > 0.9388322, so the minimum stays at n=3.
    expect(s.pMin).toBeCloseTo(2 / 3, 14);
    expect(s.sMin).toBeCloseTo(Math.sqrt(2 / 27), 14);
  });

  it('reports warnings before the drift, and resets on the value after it', () => {
    const stream = bernoulli(7, 3000, 1000, 0.1, 0.6);
    const statuses = run(ddm(), stream);
    const drift = statuses.indexOf('drift');
    expect(drift).toBeGreaterThan(1000);
    expect(statuses.slice(1000, drift)).toContain('warning');
    const d = ddm();
    const s = d.init();
    stream.slice(0, drift + 1).forEach((x) => d.update(s, x));
    d.update(s, 1);
    expect(s.n).toBe(1);
  });
});

describe('every detector', () => {
  it('rejects bad options and bad values with RxgradError naming the field', () => {
    expect(() => adwin({ delta: 0 })).toThrow(/`delta` in \(0, 1\)/);
    expect(() => adwin({ clock: 1.5 })).toThrow(/`clock` an integer/);
    expect(() => adwin({ maxBuckets: 0 })).toThrow(RxgradError);
    expect(() => adwin({ minWindowLength: 0 })).toThrow(/minWindowLength/);
    expect(() => adwin({ gracePeriod: -1 })).toThrow(/gracePeriod/);
    expect(() => pageHinkley({ mode: 'sideways' as 'up' })).toThrow(/`mode` one of up, down, both, got "sideways"/);
    expect(() => pageHinkley({ alpha: 1.5 })).toThrow(/alpha/);
    expect(() => pageHinkley({ threshold: 0 })).toThrow(/threshold/);
    expect(() => pageHinkley({ minInstances: 0 })).toThrow(/minInstances/);
    expect(() => ddm({ warningThreshold: -1 })).toThrow(/warningThreshold/);
    expect(() => ddm({ driftThreshold: Number.NaN })).toThrow(/driftThreshold/);
    expect(() => ddm({ warmStart: 2.5 })).toThrow(/warmStart/);
    expect(() => adwin(null as never)).toThrow(/`options`/);
    const a = adwin();
    expect(() => a.update(a.init(), Number.NaN)).toThrow(/`x` a finite number/);
    const p = pageHinkley();
    expect(() => p.update(p.init(), Infinity)).toThrow(/`x` a finite number/);
    const d = ddm();
    expect(() => d.update(d.init(), 0.5)).toThrow(/`x` 0 or 1/);
  });

  it('uses River names and defaults', () => {
    expect([adwin().name, pageHinkley().name, ddm().name]).toEqual(['adwin', 'pageHinkley', 'ddm']);
  });

  it.each(Object.keys(detectors))('%s: a JSON round trip mid-stream gives identical detections', (name) => {
    const make = detectors[name];
    const stream = bernoulli(3, 6000, 2000, 0.2, 0.5).concat(bernoulli(4, 4000, 2000, 0.5, 0.1));
    const straight = run(make(), stream);
    expect(straight).toContain('drift');
    for (const cutAt of [0, 1500, 2017, 4999]) expect(run(make(), stream, cutAt)).toEqual(straight);
  });

  // Bounds from `npm run bench:drift` (100 seeds; README): median delays 88 (ADWIN), 162
  // (Page–Hinkley), 113 (DDM); false alarms per 10 000 stable examples 0, 0.34, 0.47. Asserted:
  // the median delay under a bound, and at most one false alarm per stable stream (none for ADWIN).
  const bounds: Record<string, { median: number; falseAlarms: number }> = {
    adwin: { median: 150, falseAlarms: 0 },
    pageHinkley: { median: 250, falseAlarms: 20 },
    ddm: { median: 250, falseAlarms: 20 },
  };

  it.each(Object.keys(detectors))('%s: detects an error rate 0.2 → 0.5 after the change in 20 seeds of 20, with a bounded delay', (name) => {
    const make = detectors[name];
    const delays: number[] = [];
    for (let seed = 1; seed <= 20; seed++) {
      const statuses = run(make(), bernoulli(seed, 3000, 1000, 0.2, 0.5));
      const first = statuses.indexOf('drift', 1000);
      expect(first, `seed ${seed}`).toBeGreaterThanOrEqual(1000);
      delays.push(first - 1000 + 1);
    }
    delays.sort((a, b) => a - b);
    expect(delays[10]).toBeLessThan(bounds[name].median);
  });

  it.each(Object.keys(detectors))('%s: few false alarms on 20 stable streams of 10 000 examples (rate 0.2)', (name) => {
    let alarms = 0;
    for (let seed = 1; seed <= 20; seed++) alarms += run(detectors[name](), bernoulli(1_000_000 + seed, 10_000, 10_000, 0.2, 0.2)).filter((s) => s === 'drift').length;
    expect(alarms).toBeLessThanOrEqual(bounds[name].falseAlarms);
  });
});
