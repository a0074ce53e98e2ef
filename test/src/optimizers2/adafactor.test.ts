import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { adafactor, adafactorDefaults, adafactorRelativeStep, disposeTree, factoredDims, type Tensors } from '../../../src/index';
import { expectClose } from '../helpers';
import { contract, stepOnce } from './contract';

type M = number[][];
const rms = (a: number[]): number => Math.sqrt(a.reduce((s, v) => s + v * v, 0) / a.length);

/**
 * Adafactor in float64 from the paper's equations (Shazeer & Stern 2018, Algorithm 4 with sums,
 * Algorithm 5 for vectors, section 5 clipping, section 8 relative step):
 *   β̂_t = 1 − t^(−0.8), G = g² + 1e-30
 *   matrix: R_t = β̂R + (1−β̂)·G·1_m (row sums), C_t = β̂C + (1−β̂)·1_nᵀ·G (column sums),
 *           V̂ = R_t C_t / (1_nᵀ R_t), U = g/√V̂
 *   vector: V = β̂V + (1−β̂)G, U = g/√V
 *   Û = U / max(1, RMS(U)/d),  x ← x − ρ_t·max(1e-3, RMS(x))·Û
 */
function referenceMatrix(x0: M, grad: (t: number) => M, steps: number, rho: (t: number) => number, d: number): M[] {
  const n = x0.length;
  const m = x0[0].length;
  let x = x0;
  let R = new Array(n).fill(0);
  let C = new Array(m).fill(0);
  const out: M[] = [];
  for (let t = 1; t <= steps; t++) {
    const b = 1 - t ** -0.8;
    const g = grad(t);
    const G = g.map((row) => row.map((v) => v * v + 1e-30));
    R = R.map((r, i) => b * r + (1 - b) * G[i].reduce((s, v) => s + v, 0));
    C = C.map((c, j) => b * c + (1 - b) * G.reduce((s, row) => s + row[j], 0));
    const sumR = R.reduce((s, v) => s + v, 0);
    const U = g.map((row, i) => row.map((v, j) => v / Math.sqrt((R[i] * C[j]) / sumR)));
    const clip = Math.max(1, rms(U.flat()) / d);
    const scale = rho(t) * Math.max(1e-3, rms(x.flat()));
    x = x.map((row, i) => row.map((v, j) => v - (scale * U[i][j]) / clip));
    out.push(x);
  }
  return out;
}

function referenceVector(x0: number[], grad: (t: number) => number[], steps: number, rho: (t: number) => number, d: number): number[][] {
  let x = x0;
  let V = x0.map(() => 0);
  const out: number[][] = [];
  for (let t = 1; t <= steps; t++) {
    const b = 1 - t ** -0.8;
    const g = grad(t);
    V = V.map((v, i) => b * v + (1 - b) * (g[i] * g[i] + 1e-30));
    const U = g.map((v, i) => v / Math.sqrt(V[i]));
    const clip = Math.max(1, rms(U) / d);
    const scale = rho(t) * Math.max(1e-3, rms(x));
    x = x.map((v, i) => v - (scale * U[i]) / clip);
    out.push(x);
  }
  return out;
}

const W0: M = [[0.5, -1, 2], [1.5, 0.1, -0.3]];
const V0: M = [[1, 0.2], [-0.4, 0.8], [0.3, -1.2]];
const b0 = [0.5, -0.5, 0.0001];
const gW = (t: number): M => W0.map((row, i) => row.map((_, j) => Math.sin(t + i + 2 * j) * (1 + i)));
const gV = (t: number): M => V0.map((row, i) => row.map((_, j) => Math.cos(t * (i + 1) - j)));
const gb = (t: number): number[] => [Math.sin(t), 0.2 - 0.05 * t, 3];

function runAdafactor(options: Parameters<typeof adafactor>[0], steps: number): { W: number[][]; V: number[][]; b: number[][]; state: unknown } {
  const opt = adafactor(options);
  let params: Tensors = { W: tf.tensor2d(W0), V: tf.tensor2d(V0), b: tf.tensor1d(b0) };
  let state = opt.init(params);
  const out = { W: [] as number[][], V: [] as number[][], b: [] as number[][] };
  for (let t = 1; t <= steps; t++) {
    const g = { W: tf.tensor2d(gW(t)), V: tf.tensor2d(gV(t)), b: tf.tensor1d(gb(t)) };
    ({ params, state } = stepOnce(opt, params, state, g));
    out.W.push(Array.from(params.W.dataSync()));
    out.V.push(Array.from(params.V.dataSync()));
    out.b.push(Array.from(params.b.dataSync()));
  }
  disposeTree(params);
  return { ...out, state };
}

describe('adafactor (Shazeer & Stern 2018, Optax defaults)', () => {
  it('defaults: Optax adafactor (decay_rate 0.8, min_dim_size_to_factor 128, eps 1e-30, clipping 1, parameter scale ≥ 1e-3); lr the relative step min(1e-2, 1/√t)', () => {
    const { lr, ...rest } = adafactorDefaults;
    expect(rest).toEqual({ factored: true, decayRate: 0.8, minDimSizeToFactor: 128, eps: 1e-30, clippingThreshold: 1, minScale: 1e-3 });
    expect(lr).toBe(adafactorRelativeStep);
    expect([1, 1e4, 1e6].map(adafactorRelativeStep)).toEqual([1e-2, 1e-2, 1e-3]);
  });

  it('factoredDims: the two largest axes (Optax _factored_dims), none below minDim or for vectors', () => {
    expect(factoredDims([2, 3], true, 1)).toEqual([0, 1]);
    expect(factoredDims([3, 2], true, 1)).toEqual([1, 0]);
    expect(factoredDims([4, 2, 3], true, 1)).toEqual([2, 0]);
    expect(factoredDims([3, 3], true, 1)).toEqual([0, 1]);
    expect(factoredDims([2, 300], true, 128)).toBeNull();
    expect(factoredDims([5], true, 1)).toBeNull();
    expect(factoredDims([2, 3], false, 1)).toBeNull();
  });

  for (const [what, d, rho] of [
    ['relative step ρ_t = 1e-2 (default lr), clipping d = 1', 1, (t: number) => adafactorRelativeStep(t)],
    ['lr 0.1, clipping d = 0.5 (clips the factored steps)', 0.5, () => 0.1],
  ] as const) {
    it(`10 steps on fixed gradients match the paper (factored 2×3 and 3×2, unfactored vector): ${what}`, () => {
      const refW = referenceMatrix(W0, gW, 10, rho, d);
      // V (3×2) is factored over its rows' and columns' sums just the same: V̂ = R C / ΣR.
      const refV = referenceMatrix(V0, gV, 10, rho, d);
      const refB = referenceVector(b0, gb, 10, rho, d);
      // Step 1 of the vector by hand (ρ = 1e-2, d = 1): β̂_1 = 0, U = g/|g| = [sin 1 > 0 → 1, 0.15 > 0 → 1, 1],
      // RMS(U) = 1 (no clipping), RMS(x0) = √((0.25 + 0.25 + 1e-8)/3) = 0.408248:
      // x1 = x0 − 0.01·0.408248·[1, 1, 1] = [0.495918, −0.504082, 0.0001 − 0.004082] = [0.495918, −0.504082, −0.003982].
      if (d === 1) expectClose(refB[0], [0.495918, -0.504082, -0.003982], 'hand step 1', 1e-4, 1e-6);
      const got = runAdafactor({ lr: rho, clippingThreshold: d, minDimSizeToFactor: 1 }, 10);
      for (let t = 0; t < 10; t++) {
        expectClose(got.W[t], refW[t].flat(), `W step ${t + 1}`);
        expectClose(got.V[t], refV[t].flat(), `V step ${t + 1}`);
        expectClose(got.b[t], refB[t], `b step ${t + 1}`);
      }
      disposeTree(got.state);
    });
  }

  it('factored state is O(n + m): row and column statistics for matrices, full moments for vectors and small matrices', () => {
    const opt = adafactor({ minDimSizeToFactor: 3 });
    const p = { W: tf.zeros([3, 5]), S: tf.zeros([2, 5]), b: tf.zeros([4]) };
    const s = opt.init(p) as [{ params: Record<string, { vRow: tf.Tensor | null; vCol: tf.Tensor | null; v: tf.Tensor | null }> }];
    expect(s[0].params.W.vRow!.shape).toEqual([3]);
    expect(s[0].params.W.vCol!.shape).toEqual([5]);
    expect(s[0].params.W.v).toBeNull();
    expect(s[0].params.S.v!.shape).toEqual([2, 5]); // second-largest dimension 2 < 3: not factored
    expect(s[0].params.b.v!.shape).toEqual([4]);
    disposeTree([p, s]);
  });

  contract('adafactor', () => adafactor({ minDimSizeToFactor: 2 }), { lr: 0.05, decayRate: 0.5, clippingThreshold: 0.5, minScale: 0.01 });
});

describe('scaleByFactoredRms without parameters', () => {
  it('a gradient that does not fit the row/column statistics throws', async () => {
    const { scaleByFactoredRms } = await import('../../../src/index');
    const t = scaleByFactoredRms({ minDimSizeToFactor: 1 });
    const p = { w: tf.zeros([2, 3]) };
    const s = t.init(p);
    const g = { w: tf.ones([2, 4]) };
    expect(() => t.update(g, s)).toThrow(/statistics fit the state's \(shapes \[2\], \[3\]\), got shape \[2, 4\]/);
    disposeTree([p, s, g]);
  });
});
