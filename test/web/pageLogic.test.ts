import { describe, expect, it } from 'vitest';
import { contourLevels } from '../../demo/web/contourLevels';
import { epochAxis } from '../../demo/web/epochAxis';
import { smooth } from '../../demo/web/smooth';

describe('smooth (TensorBoard debiased EMA)', () => {
  it('matches the hand-computed values', () => {
    // w = 0.5: m = 0.5, 1.25, 2.125; debias 1 − 0.5ⁿ = 0.5, 0.75, 0.875 → 1, 5/3, 17/7.
    const s = smooth([1, 2, 3], 0.5) as number[];
    expect(s[0]).toBeCloseTo(1, 12);
    expect(s[1]).toBeCloseTo(5 / 3, 12);
    expect(s[2]).toBeCloseTo(17 / 7, 12);
  });

  it('is the identity at w = 0 (and at w ≥ 1, where no average is defined), and passes gaps through', () => {
    expect(smooth([3, 1, 2], 0)).toEqual([3, 1, 2]);
    expect(smooth([3, 1, 2], 1)).toEqual([3, 1, 2]);
    // w = 0.9 over [2, null, NaN, 4]: m = 0.2 → s = 2; then m = 0.18 + 0.4 = 0.58, debias 1 − 0.81 = 0.19 → 3.0526.
    const s = smooth([2, null, NaN, 4], 0.9);
    expect(s[0]).toBeCloseTo(2, 12);
    expect(s[1]).toBeNull();
    expect(s[2]).toBeNaN();
    expect(s[3]).toBeCloseTo(0.58 / 0.19, 12);
  });
});

describe('epochAxis', () => {
  it('spreads each epoch over its steps, using the first epoch length for the running one', () => {
    const pts = [1, 2, 3, 4, 5].map((step) => ({ step, epoch: step <= 4 ? 1 : 2 }));
    // Epoch 1 has 4 steps: 0.25 … 1; step 5 is the first of epoch 2 (of 4) → 1.25.
    expect(epochAxis(pts)).toEqual([0.25, 0.5, 0.75, 1, 1.25]);
    expect(epochAxis([{ step: 1, epoch: 1 }, { step: 2, epoch: 1 }])).toEqual([0.5, 1]);
    expect(epochAxis([])).toEqual([]);
  });
});

describe('contourLevels', () => {
  it('chooses nice levels below the corner maximum and the ellipse axes of each', () => {
    // Book box x1 ∈ [−5.5, 1], x2 ∈ [−3, 1]: f = x1² + 2x2² peaks at 30.25 + 18 = 48.25; 48.25/8 = 6.03 → step 10.
    const { levels, axes } = contourLevels([1, 2], { x1: [-5.5, 1], x2: [-3, 1] }, 8);
    expect(levels).toEqual([10, 20, 30, 40]);
    expect(axes[0][0]).toBeCloseTo(Math.sqrt(10), 12);
    expect(axes[0][1]).toBeCloseTo(Math.sqrt(5), 12);
    // f = 0.1x1² + 2x2²: max 3.025 + 18 = 21.025, /12 = 1.75 → step 2 → 2, 4, …, 20.
    expect(contourLevels([0.1, 2], { x1: [-5.5, 1], x2: [-3, 1] }, 12).levels).toEqual([2, 4, 6, 8, 10, 12, 14, 16, 18, 20]);
  });
});
