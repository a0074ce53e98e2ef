import { describe, expect, it } from 'vitest';
import { denseBackward } from '../../src/fast/denseBackward';
import { mulberry32 } from '../../streams/sources/mulberry32';

/** Run a [d, 1] pass on plain numbers; returns the loss and the gradients as arrays. */
function run(output: 'linear' | 'sigmoid', w: number[], b: number, x: number[][], y: number[]) {
  const pass = denseBackward({ sizes: [w.length, 1], activation: 'relu', output });
  const gw = new Float32Array(w.length).fill(NaN);
  const gb = new Float32Array(1).fill(NaN);
  const loss = pass([Float32Array.from(w), Float32Array.of(b)], Float32Array.from(x.flat()), Float32Array.from(y), x.length, [gw, gb]);
  return { loss, gw: Array.from(gw), gb: gb[0] };
}

describe('denseBackward: one layer, one output (linear and logistic regression)', () => {
  it('linear: hand-derived loss and gradients (n = 2)', () => {
    // z = 0.5 + x·[1, −1]: z₁ = 0.5 + 1 − 2 = −0.5, z₂ = 0.5 + 3 = 3.5; r = z − y = [−0.5, 2.5]
    // L = (1/2)·(0.25 + 6.25)/2 = 1.625; δ = r/2 = [−0.25, 1.25]
    // ∂b = −0.25 + 1.25 = 1; ∂w = [1·(−0.25) + 3·1.25, 2·(−0.25) + 0·1.25] = [3.5, −0.5]
    const r = run('linear', [1, -1], 0.5, [[1, 2], [3, 0]], [0, 1]);
    expect(r.loss).toBeCloseTo(1.625, 12);
    expect(r.gb).toBeCloseTo(1, 7);
    expect(r.gw[0]).toBeCloseTo(3.5, 6);
    expect(r.gw[1]).toBeCloseTo(-0.5, 7);
  });

  it('sigmoid: hand-derived loss and gradients (n = 2)', () => {
    // w = 0, b = 0: z = 0 for both rows, softplus(0) = log 2, so L = log 2;
    // δ = (σ(0) − y)/2 = [(0.5 − 1)/2, (0.5 − 0)/2] = [−0.25, 0.25]; ∂b = 0;
    // ∂w = [1·(−0.25) + (−1)·0.25, 2·(−0.25) + 4·0.25] = [−0.5, 0.5]
    const r = run('sigmoid', [0, 0], 0, [[1, 2], [-1, 4]], [1, 0]);
    expect(r.loss).toBeCloseTo(Math.LN2, 12);
    expect(r.gb).toBe(0);
    expect(r.gw).toEqual([-0.5, 0.5]);
  });

  it('n = 1: ∂w is the sum from 0 (a zero feature gives +0, as the general pass does)', () => {
    // x = [0, 2], w = 0, b = 0, y = 1 (linear): z = 0, δ = −1; ∂w = [0 + 0·(−1), 0 + 2·(−1)] = [+0, −2]; ∂b = −1; L = 1/2
    const r = run('linear', [0, 0], 0, [[0, 2]], [1]);
    expect(Object.is(r.gw[0], 0)).toBe(true);
    expect(r.gw[1]).toBe(-2);
    expect(r.gb).toBe(-1);
    expect(r.loss).toBe(0.5);
  });

  it('agrees with a float64 reference on random batches of 1, 7 and 3 rows, even and odd widths, |z| up to ~50 (to float32 rounding)', () => {
    const rand = mulberry32(11);
    const widths = [[6, 1], [7, 1], [7, 8]].flatMap(([d, scale]) => (['linear', 'sigmoid'] as const).map((output) => ({ d, scale, output })));
    for (const { d, scale, output } of widths) {
      for (const n of [1, 7, 3]) {
        const w = Array.from({ length: d }, () => Math.fround((rand() * 2 - 1) * scale));
        const b = Math.fround(rand() - 0.5);
        const x = Array.from({ length: n }, () => Array.from({ length: d }, () => Math.fround(rand() * 4 - 2)));
        const y = x.map(() => (output === 'sigmoid' ? (rand() < 0.5 ? 0 : 1) : Math.fround(rand() * 3)));
        // Reference: L and its gradient written out in float64 from the definitions.
        let loss = 0;
        let gb = 0;
        const gw = new Array<number>(d).fill(0);
        for (let i = 0; i < n; i++) {
          const z = b + x[i].reduce((s, v, k) => s + v * w[k], 0);
          const dz = output === 'linear' ? (z - y[i]) / n : (1 / (1 + Math.exp(-z)) - y[i]) / n;
          loss += output === 'linear' ? (z - y[i]) ** 2 / (2 * n) : (Math.log(1 + Math.exp(z)) - y[i] * z) / n;
          gb += dz;
          for (let k = 0; k < d; k++) gw[k] += x[i][k] * dz;
        }
        const r = run(output, w, b, x, y);
        expect(Math.abs(r.loss - loss)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(loss)));
        expect(Math.abs(r.gb - gb)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(gb)));
        for (let k = 0; k < d; k++) expect(Math.abs(r.gw[k] - gw[k])).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(gw[k])));
      }
    }
  });

  it('grows its scratch for a larger batch and back (no stale deltas)', () => {
    // Same single row (x = [1], w = 0, b = 0, y = 1, linear: δ = −1, ∂w = −1) before and after a batch of 3.
    const pass = denseBackward({ sizes: [1, 1], activation: 'relu', output: 'linear' });
    const p = [Float32Array.of(0), Float32Array.of(0)];
    const g = [new Float32Array(1), new Float32Array(1)];
    pass(p, Float32Array.of(1), [1], 1, g);
    expect(Array.from(g[0])).toEqual([-1]);
    // Three rows x = [1, 2, 3], y = [1, 1, 1]: δ = −1/3 each; ∂w = −(1 + 2 + 3)/3 = −2; ∂b = −1
    pass(p, Float32Array.of(1, 2, 3), [1, 1, 1], 3, g);
    expect(g[0][0]).toBeCloseTo(-2, 6);
    expect(g[1][0]).toBeCloseTo(-1, 6);
    pass(p, Float32Array.of(1), [1], 1, g);
    expect(Array.from(g[0])).toEqual([-1]);
  });

  it('score writes what scoreRows writes (hand values), and the next pass over the same rows reuses their forward pass once', () => {
    const pass = denseBackward({ sizes: [2, 1], activation: 'relu', output: 'sigmoid' });
    const w = Float32Array.of(0.5, -1);
    const b = Float32Array.of(0.25);
    const x = Float32Array.of(2, 1);
    const out = new Float32Array(2);
    // z = 0.25 + 2·0.5 − 1 = 0.25; p = σ(0.25) = 0.5621765…; scores [1 − p, p]
    pass.score!([w, b], x, 1, out);
    expect(out[1]).toBeCloseTo(0.5621765, 7);
    expect(out[0]).toBeCloseTo(0.4378235, 7);
    // The pass after score takes the scored z = 0.25 (w is changed here only to show it is not read again):
    // δ = (σ(0.25) − 1)/1 = −0.4378235; ∂w = [2δ, δ]; L = softplus(0.25) − 0.25 = log(1 + e^−0.25) = 0.5759394
    w[0] = 100;
    const gw = new Float32Array(2);
    const gb = new Float32Array(1);
    expect(pass([w, b], x, [1], 1, [gw, gb])).toBeCloseTo(0.5759394, 7);
    expect(gw[0]).toBeCloseTo(-0.875647, 6);
    expect(gb[0]).toBeCloseTo(-0.4378235, 7);
    // Once only: the next pass computes z = 0.25 + 200 − 1 = 199.25 (δ = σ(199.25) − 1 ≈ 0; L ≈ 0).
    pass([w, b], x, [1], 1, [gw, gb]);
    expect(Math.abs(gb[0])).toBeLessThan(1e-30);
  });

  it('score on other rows, or other parameter arrays, is not reused', () => {
    const pass = denseBackward({ sizes: [1, 1], activation: 'relu', output: 'linear' });
    const out = new Float32Array(1);
    const gw = new Float32Array(1);
    const gb = new Float32Array(1);
    const w = Float32Array.of(1);
    const b = Float32Array.of(0);
    // Scored x = [3] (z = 3) but learned on x' = [2] (another array): z = 2, δ = 2 − 0 = 2, ∂w = 2·2 = 4
    pass.score!([w, b], Float32Array.of(3), 1, out);
    expect(out[0]).toBe(3);
    pass([w, b], Float32Array.of(2), [0], 1, [gw, gb]);
    expect(gw[0]).toBe(4);
    // Scored with w, learned with another w array [2]: z = 2·2 = 4, δ = 4, ∂w = 8
    const x = Float32Array.of(2);
    pass.score!([w, b], x, 1, out);
    pass([Float32Array.of(2), b], x, [0], 1, [gw, gb]);
    expect(gw[0]).toBe(8);
  });
});
