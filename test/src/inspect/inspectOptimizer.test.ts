import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { adafactor, adagrad, adam, accumulate, disposeReplaced, disposeTree, lamb, lars, lion, multiTransform, muon, rmsprop, scheduleFreeAdamw, scheduleFreeSgd, sgd, type Tensors, type Transform } from '../../../src/index';
import { inspectOptimizer } from '../../../src/inspectOptimizer';
import { swappable } from '../../../src/swappable';
import { expectNoLeak } from '../../helpers';

const G = [0.1, -0.2, 0.3, 0.4];

/** `steps` updates with gradients g, 2g, 3g …, the parameter updated in place; the inspection after the last one. */
function inspectAfter(opt: Transform<any>, steps: number): Record<string, number> {
  const x = tf.tidy(() => tf.variable(tf.tensor1d([1, -2, 3, 4])));
  const params: Tensors = { x };
  let state = opt.init(params);
  let out: Record<string, number> = {};
  for (let t = 1; t <= steps; t++) {
    const grads = { x: tf.tensor1d(G.map((g) => g * t)) };
    const r = opt.update(grads, state, params, { step: t });
    disposeReplaced(state, r.state);
    state = r.state;
    if (t === steps) out = inspectOptimizer(state, params, r.updates, r.used ?? {});
    tf.tidy(() => x.assign(x.add(r.updates.x)));
    disposeTree([grads, r.updates]);
  }
  disposeTree([state, x]);
  return out;
}

function expectClose(actual: Record<string, number>, expected: Record<string, number>, digits = 5): void {
  expect(Object.keys(actual).sort()).toEqual(Object.keys(expected).sort());
  for (const [k, v] of Object.entries(expected)) expect(actual[k], k).toBeCloseTo(v, digits);
}

describe('inspectOptimizer', () => {
  it('Adam after two steps: step sizes η/(√v̂ + ε), |m̂| and ‖u‖/‖x‖ with bias correction at t = 2', async () => {
    await expectNoLeak(() => {
      // g1 = g, g2 = 2g (g = [0.1, −0.2, 0.3, 0.4]), η = 0.1, β = (0.9, 0.999), ε = 1e−8.
      // m2 = 0.9·0.1g + 0.1·2g = 0.29g, m̂ = 0.29g/0.19 = 1.526316g → |m̂| = [0.152632, 0.305263, 0.457895, 0.610526]
      // v2 = 0.999·0.001g² + 0.001·4g² = 0.004999g², v̂ = v2/0.001999 → √v̂ = 1.581376|g|
      // step = 0.1/(1.581376|g|) = [0.632361, 0.316180, 0.210787, 0.158090]
      // quantiles (h = 3p over the sorted values): p5 0.165995, p25 0.197613, p50 0.263484, p75 0.395225, p95 0.584934;
      // |m̂|: p5 0.175526, p25 0.267105, p50 0.381579, p75 0.496053, p95 0.587632.
      // x1 = x0 − 0.1·sign(g) = [0.9, −1.9, 2.9, 3.9], ‖x1‖ = √28.04; u2 = −0.1·1.526316/1.581376·sign(g), ‖u2‖ = 2·0.0965182
      // ratio = 0.193036/5.295281 = 0.0364544
      expectClose(inspectAfter(adam({ lr: 0.1 }), 2), {
        'inspect.updateRatio.x': 0.0364544,
        'inspect.stepSize.x.p5': 0.165995,
        'inspect.stepSize.x.p25': 0.197613,
        'inspect.stepSize.x.p50': 0.263484,
        'inspect.stepSize.x.p75': 0.395225,
        'inspect.stepSize.x.p95': 0.584934,
        'inspect.mAbs.x.p5': 0.175526,
        'inspect.mAbs.x.p25': 0.267105,
        'inspect.mAbs.x.p50': 0.381579,
        'inspect.mAbs.x.p75': 0.496053,
        'inspect.mAbs.x.p95': 0.587632,
      });
    });
  });

  it("reads a group's hyperparameters (hyper['label.lr']) inside multiTransform, also nested and wrapped", () => {
    // The same Adam run as above (η = 0.1, two steps) in a group 'head': multiTransform reports
    // its hyperparameters as 'head.lr', 'head.beta1', … only — the step sizes must use η = 0.1
    // and β2 = 0.999 from there, not η = 1: p50 0.263484, p95 0.584934; |m̂| p50 0.381579.
    // Nested in accumulate(1) and an outer group 'all': 'all.head.lr'.
    for (const opt of [multiTransform({ head: adam({ lr: 0.1 }) }, () => 'head'), accumulate(1, multiTransform({ all: multiTransform({ head: adam({ lr: 0.1 }) }, () => 'head') }, () => 'all'))]) {
      const r = inspectAfter(opt, 2);
      expect(r['inspect.stepSize.x.p50']).toBeCloseTo(0.263484, 5);
      expect(r['inspect.stepSize.x.p95']).toBeCloseTo(0.584934, 5);
      expect(r['inspect.mAbs.x.p50']).toBeCloseTo(0.381579, 5);
    }
  });

  it('RMSProp and AdaGrad report step sizes only; SGD only the update ratio', () => {
    // RMSProp, one step, η = 0.01, α = 0.9: s = 0.1g², step = 0.01/(√0.1·|g| + 1e−8) = [0.316228, 0.158114, 0.105409, 0.079057]
    // quantiles: p5 0.083010, p25 0.098821, p50 0.131762, p75 0.197642, p95 0.292511
    const r = inspectAfter(rmsprop({ lr: 0.01, alpha: 0.9 }), 1);
    expect(Object.keys(r).some((k) => k.startsWith('inspect.mAbs'))).toBe(false);
    expect(r['inspect.stepSize.x.p5']).toBeCloseTo(0.08301, 5);
    expect(r['inspect.stepSize.x.p50']).toBeCloseTo(0.131762, 5);
    expect(r['inspect.stepSize.x.p95']).toBeCloseTo(0.292511, 5);
    // AdaGrad, one step, η = 0.1: s = g², step = 0.1/(|g| + 1e−10) = [1, 0.5, 0.333333, 0.25]
    // quantiles: p5 = 0.25 + 0.15·0.083333 = 0.2625, p50 = 0.333333 + 0.5·0.166667 = 0.416667, p95 = 0.5 + 0.85·0.5 = 0.925
    const a = inspectAfter(adagrad({ lr: 0.1 }), 1);
    expect(a['inspect.stepSize.x.p5']).toBeCloseTo(0.2625, 5);
    expect(a['inspect.stepSize.x.p50']).toBeCloseTo(0.416667, 5);
    expect(a['inspect.stepSize.x.p95']).toBeCloseTo(0.925, 5);
    // SGD, one step, η = 0.1: u = −0.1g, ‖u‖ = 0.1·√0.3, ‖x‖ = √30 → 0.01
    expectClose(inspectAfter(sgd({ lr: 0.1 }), 1), { 'inspect.updateRatio.x': 0.01 });
  });

  it('finds the moments inside a swappable state, and takes other quantiles', () => {
    // Adam, one step, η = 0.1: m̂ = g, step = 0.1/|g| = [1, 0.5, 0.333333, 0.25]; p0 = 0.25, p100 = 1; |m̂| p100 = 0.4.
    const opt = swappable({ sgd: sgd(), adam: adam({ lr: 0.1 }) }, { initial: 'adam' });
    const x = tf.tensor1d([1, -2, 3, 4]);
    const s = opt.init({ x });
    const grads = { x: tf.tensor1d(G) };
    const r = opt.update(grads, s, { x });
    const out = inspectOptimizer(r.state, { x }, r.updates, r.used ?? {}, { quantiles: [0, 1] });
    expect(out['inspect.stepSize.x.p0']).toBeCloseTo(0.25, 5);
    expect(out['inspect.stepSize.x.p100']).toBeCloseTo(1, 5);
    expect(out['inspect.mAbs.x.p100']).toBeCloseTo(0.4, 5);
    expect(() => inspectOptimizer(r.state, { x }, r.updates, {}, { quantiles: [] })).toThrow('inspect.quantiles');
    expect(() => inspectOptimizer(r.state, {}, r.updates, {})).toThrow('params.x');
    disposeTree([s, r.state, r.updates, grads, x]);
  });

  it('takes the quantiles of every ⌈n/maxValues⌉-th coordinate of a large tensor', () => {
    // AdaGrad, one step, η = 0.1, g = [0.1, 0.2, …, 1]: step = 0.1/g = [1, 1/2, 1/3, …, 1/10].
    // maxValues 5 → stride 2 → coordinates 0, 2, 4, 6, 8: [1, 1/3, 1/5, 1/7, 1/9]; p0 = 1/9, p50 = 1/5, p100 = 1.
    const opt = adagrad({ lr: 0.1 });
    const x = tf.ones([10]);
    const grads = { x: tf.tensor1d(Array.from({ length: 10 }, (_, i) => (i + 1) / 10)) };
    const s = opt.init({ x });
    const r = opt.update(grads, s, { x });
    const out = inspectOptimizer(r.state, { x }, r.updates, r.used ?? {}, { quantiles: [0, 0.5, 1], maxValues: 5 });
    expect(out['inspect.stepSize.x.p0']).toBeCloseTo(1 / 9, 5);
    expect(out['inspect.stepSize.x.p50']).toBeCloseTo(1 / 5, 5);
    expect(out['inspect.stepSize.x.p100']).toBeCloseTo(1, 5);
    // Every value: p0 = 1/10, p50 = (1/5 + 1/6)/2.
    const all = inspectOptimizer(r.state, { x }, r.updates, r.used ?? {}, { quantiles: [0, 0.5], maxValues: Infinity });
    expect(all['inspect.stepSize.x.p0']).toBeCloseTo(0.1, 5);
    expect(all['inspect.stepSize.x.p50']).toBeCloseTo((1 / 5 + 1 / 6) / 2, 5);
    expect(() => inspectOptimizer(r.state, { x }, r.updates, {}, { maxValues: 0 })).toThrow('Expected `inspect.maxValues` an integer ≥ 1, got 0');
    disposeTree([s, r.state, r.updates, grads, x]);
  });

  it("LAMB's step includes its trust ratio r = ‖x‖/‖d‖", async () => {
    await expectNoLeak(() => {
      // One step, η = 0.01, λ = 0.1, ε = 1e−6, x = [1, −2, 3, 4], g = [0.1, −0.2, 0.3, 0.4]:
      // m̂ = g, √v̂ = |g| → d = g/(|g| + 1e−6) + 0.1·x = [1.0999900, −1.1999950, 1.2999967, 1.3999975]
      // ‖x‖ = √30 = 5.4772256, ‖d‖ = 2.5099702 → r = 2.1821875
      // step = r·η/(|g| + ε) = [0.2182166, 0.1091088, 0.0727393, 0.0545546]
      // quantiles (h = 3p): p5 0.0572823, p25 0.0681931, p50 0.0909241, p75 0.1363858, p95 0.2018504
      // (before the trust ratio p50 would be 0.0416665). |m̂| = |g|: p5 0.115, p25 0.175, p50 0.25, p75 0.325, p95 0.385.
      // ‖u‖ = η·r·‖d‖ = η·‖x‖ → ratio 0.01.
      expectClose(inspectAfter(lamb({ lr: 0.01, weightDecay: 0.1 }), 1), {
        'inspect.updateRatio.x': 0.01,
        'inspect.stepSize.x.p5': 0.0572823,
        'inspect.stepSize.x.p25': 0.0681931,
        'inspect.stepSize.x.p50': 0.0909241,
        'inspect.stepSize.x.p75': 0.1363858,
        'inspect.stepSize.x.p95': 0.2018504,
        'inspect.mAbs.x.p5': 0.115,
        'inspect.mAbs.x.p25': 0.175,
        'inspect.mAbs.x.p50': 0.25,
        'inspect.mAbs.x.p75': 0.325,
        'inspect.mAbs.x.p95': 0.385,
      });
    });
  });

  it('Adafactor: ρ/√v̂ from the full or the factored second moment', async () => {
    await expectNoLeak(() => {
      // Factored (minDimSizeToFactor 1), x 2×2, g = [[0.1, −0.2], [0.3, 0.4]], ρ = 0.01, t = 1 (β̂ = 0):
      // G = g² = [[0.01, 0.04], [0.09, 0.16]], R (row means) = [0.025, 0.125], mean(R) = 0.075, C (column means) = [0.05, 0.1]
      // v̂ = R_i/mean(R)·C_j = [[0.0166667, 0.0333333], [0.0833333, 0.1666667]]
      // step = 0.01/√v̂ = [0.0774597, 0.0547723, 0.0346410, 0.0244949]
      // quantiles (h = 3p): p5 0.0260168, p25 0.0321045, p50 0.0447066, p75 0.0604441, p95 0.0740566
      const opt = adafactor({ lr: 0.01, minDimSizeToFactor: 1 });
      const x = tf.tensor2d([[1, 2], [3, 4]]);
      const grads = { x: tf.tensor2d([[0.1, -0.2], [0.3, 0.4]]) };
      const s = opt.init({ x });
      const r = opt.update(grads, s, { x });
      const out = inspectOptimizer(r.state, { x }, r.updates, r.used ?? {});
      expect(Object.keys(out).some((k) => k.startsWith('inspect.mAbs'))).toBe(false);
      expect(out['inspect.stepSize.x.p5']).toBeCloseTo(0.0260168, 6);
      expect(out['inspect.stepSize.x.p25']).toBeCloseTo(0.0321045, 6);
      expect(out['inspect.stepSize.x.p50']).toBeCloseTo(0.0447066, 6);
      expect(out['inspect.stepSize.x.p75']).toBeCloseTo(0.0604441, 6);
      expect(out['inspect.stepSize.x.p95']).toBeCloseTo(0.0740566, 6);
      disposeTree([s, r.state, r.updates, grads, x]);
    });
    // Not factored (1-D): V = g² → step = 0.01/|g| = [0.1, 0.05, 0.033333, 0.025]: p50 = (0.033333 + 0.05)/2 = 0.0416667, p95 = 0.05 + 0.85·0.05 = 0.0925.
    const a = inspectAfter(adafactor({ lr: 0.01 }), 1);
    expect(a['inspect.stepSize.x.p50']).toBeCloseTo(0.0416667, 6);
    expect(a['inspect.stepSize.x.p95']).toBeCloseTo(0.0925, 6);
  });

  it('schedule-free AdamW reports its step but no |m̂| (its inner Adam has β1 = 0)', () => {
    // One step, γ = 0.1: v̂ = g², step = 0.1/(|g| + 1e−8) = [1, 0.5, 0.333333, 0.25]: p50 0.416667, p95 0.925; no mAbs keys.
    const r = inspectAfter(scheduleFreeAdamw({ lr: 0.1 }), 1);
    expect(Object.keys(r).some((k) => k.startsWith('inspect.mAbs'))).toBe(false);
    expect(r['inspect.stepSize.x.p50']).toBeCloseTo(0.416667, 5);
    expect(r['inspect.stepSize.x.p95']).toBeCloseTo(0.925, 5);
  });

  it('Lion, LARS, schedule-free SGD and Muon (2-D) report the update ratio only', () => {
    for (const opt of [lion(), lars(), scheduleFreeSgd()]) expect(Object.keys(inspectAfter(opt, 2))).toEqual(['inspect.updateRatio.x']);
    const m = muon();
    const x = tf.tensor2d([[1, 2], [3, 4]]);
    const grads = { x: tf.tensor2d([[0.1, -0.2], [0.3, 0.4]]) };
    const s = m.init({ x });
    const r = m.update(grads, s, { x });
    expect(Object.keys(inspectOptimizer(r.state, { x }, r.updates, r.used ?? {}))).toEqual(['inspect.updateRatio.x']);
    disposeTree([s, r.state, r.updates, grads, x]);
  });

  it('reports ‖u‖/‖x‖ as Infinity for a zero parameter', () => {
    const x = tf.zeros([2]);
    const u = tf.ones([2]);
    expect(inspectOptimizer({}, { x }, { x: u }, {})).toEqual({ 'inspect.updateRatio.x': Infinity });
    disposeTree([x, u]);
  });
});
