import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { disposeTree, muon, muonDefaults, newtonSchulz, RxgradError, scaleByMuon, type Tensors } from '../../../src/index';
import { lastValueFrom, map, range, toArray } from 'rxjs';
import { applyUpdates, gradients, hyper, learningRate, optimize } from '../../../streams/index';
import type { Batch } from '../../../streams/Step';
import type { Params } from '../../../src/types';
import { expectNoLeak, tinyProblem, tinyStep } from '../../helpers';
import { expectClose } from '../helpers';
import { contract, stepOnce } from './contract';

type M = number[][];
const T = (a: M): M => a[0].map((_, j) => a.map((row) => row[j]));
const mul = (a: M, b: M): M => a.map((row) => b[0].map((_, j) => row.reduce((s, v, k) => s + v * b[k][j], 0)));
const lin = (p: number, a: M, q: number, b: M): M => a.map((row, i) => row.map((v, j) => p * v + q * b[i][j]));

/**
 * Keller Jordan's zeropower_via_newtonschulz5 in float64, from its equations: X = G/(‖G‖_F + 1e-7)
 * (Gᵀ if G is tall), five times A = XXᵀ, X = aX + (bA + cA²)X, transposed back.
 */
function ns5(g: M): M {
  const [a, b, c] = [3.4445, -4.775, 2.0315];
  const tall = g.length > g[0].length;
  let x = tall ? T(g) : g;
  const fro = Math.sqrt(x.flat().reduce((s, v) => s + v * v, 0));
  x = x.map((row) => row.map((v) => v / (fro + 1e-7)));
  for (let k = 0; k < 5; k++) {
    const A = mul(x, T(x));
    const B = lin(b, A, c, mul(A, A));
    x = lin(a, x, 1, mul(B, x));
  }
  return tall ? T(x) : x;
}

describe('muon (Keller Jordan 2024, the reference defaults)', () => {
  it('defaults: KellerJordan/Muon MuonWithAuxAdam (lr 0.02, momentum 0.95, nesterov, 5 steps; Adam lr 3e-4, betas (0.9, 0.95), eps 1e-10)', () => {
    expect(muonDefaults).toEqual({ lr: 0.02, momentum: 0.95, nesterov: true, nsSteps: 5, weightDecay: 0, adamLr: 3e-4, adamBeta1: 0.9, adamBeta2: 0.95, adamEps: 1e-10, adamWeightDecay: 0 });
  });

  it('newtonSchulz pushes the singular values into [0.5, 1.5] (diag(3, 1) → diag(0.753, 1.134), by the float64 iteration)', () => {
    // G = diag(3, 1): X0 = diag(3, 1)/(√10 + 1e-7); each iteration maps a singular value s to a·s + b·s³ + c·s⁵.
    const ref = ns5([[3, 0], [0, 1]]);
    const got = newtonSchulz(tf.tensor2d([[3, 0], [0, 1]]), 5);
    expectClose(got.dataSync(), ref.flat(), 'NS5', 1e-5, 1e-6);
    const s = (v: number): number => 3.4445 * v - 4.775 * v ** 3 + 2.0315 * v ** 5;
    let s1 = 3 / (Math.sqrt(10) + 1e-7);
    let s2 = 1 / (Math.sqrt(10) + 1e-7);
    for (let k = 0; k < 5; k++) [s1, s2] = [s(s1), s(s2)];
    expectClose(ref.flat(), [s1, 0, 0, s2], 'scalar iteration', 1e-12, 1e-12);
    disposeTree(got);
  });

  it('10 steps on fixed gradients: a wide and a tall matrix by Muon, a vector by AdamW, as the reference computes them', () => {
    // η 0.05, β 0.95 nesterov, λ 0.01 (decoupled); Adam for b: lr 0.01, β1 0.9, β2 0.95, ε 1e-10, λ 0.01.
    // Muon: m = βm + (1−β)g; d = (1−β)g + βm; x ← x − η·(NS5(d)·√max(1, r/c) + λx)
    //   (the wide W [2×3] has factor 1, the tall V [3×2] √(3/2); NS5 in float64 above).
    // Adam: m = β1m + (1−β1)g, v = β2v + (1−β2)g², x ← x − lr·(m̂/(√v̂ + ε) + λx).
    const W0: M = [[0.5, -1, 2], [1.5, 0.1, -0.3]];
    const V0: M = [[1, 0.2], [-0.4, 0.8], [0.3, -1.2]];
    const b0 = [0.5, -0.5];
    const gW = (t: number): M => W0.map((row, i) => row.map((_, j) => Math.sin(t + i + 2 * j)));
    const gV = (t: number): M => V0.map((row, i) => row.map((_, j) => Math.cos(t * (i + 1) - j)));
    const gb = (t: number): number[] => [Math.sin(t), 0.2 - 0.05 * t];
    const refMuon = (x0: M, g: (t: number) => M): M[] => {
      let x = x0;
      let m = x0.map((row) => row.map(() => 0));
      const scale = Math.sqrt(Math.max(1, x0.length / x0[0].length));
      const out: M[] = [];
      for (let t = 1; t <= 10; t++) {
        m = lin(0.95, m, 0.05, g(t));
        const o = ns5(lin(0.05, g(t), 0.95, m));
        x = x.map((row, i) => row.map((v, j) => v - 0.05 * (o[i][j] * scale + 0.01 * v)));
        out.push(x);
      }
      return out;
    };
    const refW = refMuon(W0, gW);
    const refV = refMuon(V0, gV);
    let xb = b0;
    let mb = [0, 0];
    let vb = [0, 0];
    const refB: number[][] = [];
    for (let t = 1; t <= 10; t++) {
      const g = gb(t);
      mb = mb.map((m, j) => 0.9 * m + 0.1 * g[j]);
      vb = vb.map((v, j) => 0.95 * v + 0.05 * g[j] ** 2);
      xb = xb.map((x, j) => x - 0.01 * (mb[j] / (1 - 0.9 ** t) / (Math.sqrt(vb[j] / (1 - 0.95 ** t)) + 1e-10) + 0.01 * x));
      refB.push(xb);
    }

    const opt = muon({ lr: 0.05, weightDecay: 0.01, adamLr: 0.01, adamWeightDecay: 0.01 });
    let params: Tensors = { W: tf.tensor2d(W0), V: tf.tensor2d(V0), b: tf.tensor1d(b0) };
    let state = opt.init(params);
    for (let t = 1; t <= 10; t++) {
      const g = { W: tf.tensor2d(gW(t)), V: tf.tensor2d(gV(t)), b: tf.tensor1d(gb(t)) };
      ({ params, state } = stepOnce(opt, params, state, g));
      expectClose(params.W.dataSync(), refW[t - 1].flat(), `W step ${t}`, 1e-4, 1e-5);
      expectClose(params.V.dataSync(), refV[t - 1].flat(), `V step ${t}`, 1e-4, 1e-5);
      expectClose(params.b.dataSync(), refB[t - 1], `b step ${t}`, 1e-5, 1e-6);
    }
    expect(Object.keys(state)).toEqual(['muon', 'adam']);
    disposeTree([state, params]);
  });

  it('in a pipeline, learningRate(s) sets both groups, hyper("adam.lr", s) only the Adam group; each step reports them', async () => {
    const p = tinyProblem(); // w [2, 1] goes to Muon's group, b [1] (added below) to Adam's
    const b = tf.variable(tf.zeros([1]));
    const params = { w: p.params.w, b };
    const loss = (q: Params, batch: Batch) => tf.tidy(() => p.loss({ w: q.w }, batch).add(q.b.square().sum())) as tf.Scalar;
    await expectNoLeak(async () => {
      const rs = await lastValueFrom(
        range(1, 3).pipe(map((k) => tinyStep(k)), gradients(loss, params), learningRate((t) => 0.1 / t), hyper('adam.lr', (t) => 0.01 * t), optimize(muon()), applyUpdates(params), toArray()),
      );
      expect(rs.map((r) => [r.hyper['muon.lr'], r.hyper['adam.lr']])).toEqual([1, 2, 3].map((t) => [0.1 / t, 0.01 * t]));
    });
    b.dispose();
    p.dispose();
  });

  it('scaleByMuon alone rejects a parameter that is not 2-D', () => {
    const t = scaleByMuon();
    const p = { b: tf.zeros([3]) };
    expect(() => t.init(p)).toThrow(RxgradError);
    expect(() => t.init(p)).toThrow(/shape \[3\]/);
    disposeTree(p);
  });

  contract('muon', () => muon({ lr: 0.02, adamLr: 0.01, weightDecay: 0.01 }), { 'muon.lr': 0.01, 'muon.momentum': 0.9, 'adam.lr': 0.001, 'adam.beta2': 0.99 });
});
