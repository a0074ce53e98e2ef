import * as tf from '@tensorflow/tfjs';
import { lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { adadelta, adagrad, adam, adamax, adamw, nadam, radam, rmsprop, sgd } from '../../src/index';
import { analyticOf } from '../../src/fast/AnalyticLoss';
import { analyticGrads, fitsParams } from '../../src/fast/analyticGrads';
import { linearRegression } from '../../src/models/linearRegression';
import { logisticRegression } from '../../src/models/logisticRegression';
import { softmaxRegression } from '../../src/models/softmaxRegression';
import { mlp } from '../../src/models/mlp';
import type { Model } from '../../src/models/Model';
import type { Params, Transform } from '../../src/types';
import { airfoil } from '../../streams/sources/airfoil';
import { minibatches } from '../../streams/sources/minibatches';
import { replay } from '../../streams/sources/replay';
import { mulberry32 } from '../../streams/sources/mulberry32';
import { gradients } from '../../streams/operators/gradients';
import { optimize } from '../../streams/operators/optimize';
import { applyUpdates } from '../../streams/operators/applyUpdates';
import { expectNoLeak } from '../helpers';

/** Every optimizer of src/optimizers, in the variants whose arithmetic differs. */
const OPTIMIZERS: Record<string, () => Transform<unknown[]>> = {
  sgd: () => sgd({ lr: 0.05 }),
  momentum: () => sgd({ lr: 0.05, momentum: 0.9, weightDecay: 0.01 }),
  nesterov: () => sgd({ lr: 0.05, momentum: 0.9, nesterov: true }),
  adagrad: () => adagrad({ lr: 0.1 }),
  rmsprop: () => rmsprop({ lr: 0.01, momentum: 0.5, centered: true }),
  adadelta: () => adadelta({ lr: 1 }),
  adam: () => adam({ lr: 0.01 }),
  amsgrad: () => adam({ lr: 0.01, amsgrad: true, weightDecay: 0.01 }),
  adamw: () => adamw({ lr: 0.01 }),
  adamax: () => adamax({ lr: 0.01 }),
  nadam: () => nadam({ lr: 0.01 }),
  radam: () => radam({ lr: 0.01 }),
};

/** |a − b| ≤ rel·max(|a|, |b|) + abs, elementwise, with the index in the message. */
function expectClose(a: ArrayLike<number>, b: ArrayLike<number>, rel: number, abs = 0, what = ''): void {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) {
    const tol = rel * Math.max(Math.abs(a[i]), Math.abs(b[i])) + abs;
    if (!(Math.abs(a[i] - b[i]) <= tol)) throw new Error(`${what}[${i}]: ${a[i]} vs ${b[i]} (tolerance ${tol})`);
  }
}

/** n rows of d features ~ U(−1, 1), seeded, and labels from `label(row index, features)`. */
function synthetic(n: number, d: number, label: (x: number[]) => number | number[]): { xs: number[][]; ys: (number | number[])[] } {
  const rand = mulberry32(3);
  const xs = Array.from({ length: n }, () => Array.from({ length: d }, () => rand() * 2 - 1));
  return { xs, ys: xs.map(label) };
}

/** Train `make()` through the pipeline with the fast path on or off; the losses of every step and the final parameters. */
async function train(make: () => Model | ReturnType<typeof linearRegression>, data: { xs: number[][]; ys: any[] }, opt: () => Transform<unknown[]>, fast: boolean, batchSize: number, epochs = 1) {
  const model = make();
  const results = await lastValueFrom(
    minibatches(data as never, { batchSize, epochs, shuffle: true, seed: 2 }).pipe(
      gradients(model.loss as never, model.params, { fast }),
      optimize(opt()),
      applyUpdates(model.params),
      toArray(),
    ),
  );
  const params = Object.fromEntries(Object.entries(model.params as Params).map(([k, v]) => [k, Array.from(v.dataSync())]));
  model.dispose();
  return { losses: results.map((r) => r.loss), gradNorms: results.map((r) => r.gradNorm), lrs: results.map((r) => r.lr), params };
}

describe('analyticGrads: hand-derived gradients', () => {
  it('logistic regression at w = 0: L = log 2, ∂L/∂w = (σ(0) − y)·x / n', () => {
    const m = logisticRegression(2);
    const batch = { xs: tf.tensor2d([[1, 2], [3, -1]]), ys: tf.tensor2d([[1], [0]]) };
    // p = ½ for both rows; δ = (½ − 1, ½ − 0)/2 = (−¼, ¼)
    // ∂L/∂w = (−¼)·[1, 2] + (¼)·[3, −1] = [0.5, −0.75]; ∂L/∂b = 0; L = log 2
    const r = analyticGrads(analyticOf(m.loss)!, m.params, batch)!;
    expectClose(r.value.dataSync(), [Math.log(2)], 1e-7);
    expectClose(r.grads.w.dataSync(), [0.5, -0.75], 1e-7);
    expectClose(r.grads.b.dataSync(), [0], 0, 1e-12);
    expect(r.grads.w.shape).toEqual([2, 1]);
    tf.dispose([r.value, r.grads, batch, m.params]);
  });

  it('softmax regression at W = 0 over 3 classes: L = log 3, ∂L/∂W = xᵀ(⅓ − onehot(y))/n', () => {
    const m = softmaxRegression(2, 3);
    const batch = { xs: tf.tensor2d([[1, 2]]), ys: tf.tensor1d([2], 'int32') };
    // δ = [⅓, ⅓, −⅔]; ∂L/∂W = [1, 2]ᵀ δ = [[⅓, ⅓, −⅔], [⅔, ⅔, −4/3]]; ∂L/∂b = δ
    const r = analyticGrads(analyticOf(m.loss)!, m.params, batch)!;
    expectClose(r.value.dataSync(), [Math.log(3)], 1e-7);
    expectClose(r.grads.w.dataSync(), [1 / 3, 1 / 3, -2 / 3, 2 / 3, 2 / 3, -4 / 3], 1e-7);
    expectClose(r.grads.b.dataSync(), [1 / 3, 1 / 3, -2 / 3], 1e-7);
    tf.dispose([r.value, r.grads, batch, m.params]);
  });

  it('linear regression: L = (1/n) Σ (xw + b − y)²/2, ∂L/∂w = xᵀ r / n', () => {
    const m = linearRegression(2, { seed: 1 });
    m.params.w.assign(tf.tensor2d([[1], [-1]]));
    const batch = { xs: tf.tensor2d([[1, 2], [2, 0]]), ys: tf.tensor2d([[0], [1]]) };
    // ŷ = [−1, 2], r = [−1, 1]; L = (1 + 1)/(2·2) = 0.5; ∂L/∂w = ([1, 2]·(−1) + [2, 0]·1)/2 = [0.5, −1]; ∂L/∂b = 0
    const r = analyticGrads(analyticOf(m.loss)!, m.params, batch)!;
    expectClose(r.value.dataSync(), [0.5], 1e-7);
    expectClose(r.grads.w.dataSync(), [0.5, -1], 1e-7);
    expectClose(r.grads.b.dataSync(), [0], 0, 1e-12);
    tf.dispose([r.value, r.grads, batch]);
    m.dispose();
  });

  it('batches the tfjs path treats its own way are left to it (undefined)', () => {
    const lin = linearRegression(2);
    const sm = softmaxRegression(2, 3);
    const xs = tf.tensor2d([[1, 2]]);
    const flat = tf.tensor1d([1]);
    const bad = tf.tensor1d([3]);
    expect(analyticGrads(analyticOf(lin.loss)!, lin.params, { xs, ys: flat })).toBeUndefined(); // ys [n] broadcasts there
    expect(analyticGrads(analyticOf(sm.loss)!, sm.params, { xs, ys: bad })).toBeUndefined(); // label 3 of 3 classes
    tf.dispose([xs, flat, bad]);
    lin.dispose();
    sm.dispose();
  });
});

describe('fast path against the tfjs path, every optimizer', () => {
  const air = airfoil();
  const logistic = synthetic(64, 5, (x) => (x[0] - 0.5 * x[1] + 0.2 * x[4] > 0 ? 1 : 0));
  const softmax = synthetic(60, 4, (x) => (x[0] > 0.3 ? 2 : x[1] > 0 ? 1 : 0));
  const regression = synthetic(48, 3, (x) => [x[0] * x[1] - x[2], Math.sin(x[0])]);
  const cases = {
    'airfoil linear regression (batch 10)': { make: () => linearRegression(5, { seed: 1 }), data: air as never, batch: 10 },
    'logistic regression': { make: () => logisticRegression(5, { init: { seed: 4, std: 0.1 } }), data: logistic, batch: 8 },
    'softmax regression': { make: () => softmaxRegression(4, 3, { init: { seed: 5, std: 0.1 } }), data: softmax, batch: 6 },
    'mlp tanh → sigmoid': { make: () => mlp([5, 7, 1], { activation: 'tanh', output: 'sigmoid', seed: 3 }), data: logistic, batch: 8 },
    'mlp relu → softmax': { make: () => mlp([4, 8, 6, 3], { activation: 'relu', output: 'softmax', seed: 2 }), data: softmax, batch: 6 },
    'mlp sigmoid → linear (2 outputs)': { make: () => mlp([3, 5, 2], { activation: 'sigmoid', output: 'linear', seed: 6 }), data: regression, batch: 4 },
  };
  for (const [name, c] of Object.entries(cases)) {
    for (const [opt, make] of Object.entries(OPTIMIZERS)) {
      it(`${name}, ${opt}: losses, norms and parameters agree to 1e-6 relative`, async () => {
        const general = await train(c.make, c.data, make, false, c.batch);
        const fast = await train(c.make, c.data, make, true, c.batch);
        expectClose(fast.losses, general.losses, 1e-6, 1e-7, 'loss');
        expectClose(fast.gradNorms, general.gradNorms, 1e-5, 1e-6, 'gradNorm');
        expect(fast.lrs).toEqual(general.lrs);
        for (const p of Object.keys(general.params)) expectClose(fast.params[p], general.params[p], 1e-6, 1e-6, p);
      });
    }
  }
});

describe('choosing the path', () => {
  const data = synthetic(20, 3, (x) => (x[0] > 0 ? 1 : 0));

  async function kernelsOf(run: () => Promise<unknown>): Promise<string[]> {
    let names: string[] = [];
    const info = await tf.profile(async () => {
      await run();
    });
    names = info.kernelNames;
    return names;
  }

  it('is taken for a model loss on cpu (no BatchMatMul kernel), not with fast: false, not for a user loss', async () => {
    const m = logisticRegression(3);
    const run = (loss: any, options?: { fast: boolean }) => () =>
      lastValueFrom(minibatches(data as never, { batchSize: 5 }).pipe(gradients(loss, m.params, options), optimize(sgd({ lr: 0.1 })), applyUpdates(m.params)));
    expect(await kernelsOf(run(m.loss))).not.toContain('BatchMatMul');
    expect(await kernelsOf(run(m.loss, { fast: false }))).toContain('BatchMatMul');
    const own = (p: Params, b: any) => m.loss(p, b);
    expect(await kernelsOf(run(own))).toContain('BatchMatMul');
    m.dispose();
  });

  it('only exactly the model\'s parameters (names and shapes) fit the analytic gradient', () => {
    const m = linearRegression(3);
    const analytic = analyticOf(m.loss)!;
    const wide = tf.variable(tf.zeros([4, 1]));
    expect(fitsParams(analytic, m.params)).toBe(true);
    expect(fitsParams(analytic, { w: m.params.w })).toBe(false);
    expect(fitsParams(analytic, { w: wide, b: m.params.b })).toBe(false);
    expect(fitsParams(analytic, { ...m.params, c: wide })).toBe(false);
    wide.dispose();
    m.dispose();
  });

  it('rejects a fast option that is not true, false or auto', () => {
    const m = logisticRegression(3);
    expect(() => gradients(m.loss, m.params, { fast: 'yes' as never })).toThrow("Expected `options.fast` true, false or 'auto', got \"yes\"");
    m.dispose();
  });

  it('an ExampleBatch with a bad label fails the step naming it, as the tfjs path does', async () => {
    const m = logisticRegression(2);
    const run = (fast: boolean) =>
      lastValueFrom(replay({ xs: [[1, 2], [0, 1]], ys: [1, 3] }, { batchSize: 2 }).pipe(gradients(m.loss, m.params, { fast }), optimize(sgd({ lr: 0.1 })), applyUpdates(m.params)));
    await expect(run(true)).rejects.toThrow('Expected `batch.y[1]` a class index in [0, 2), got 3');
    await expect(run(false)).rejects.toThrow('Expected `batch.y[1]` a class index in [0, 2), got 3');
    m.dispose();
  });
});

describe('memory', () => {
  it('tf.memory() stays flat over 10,000 online steps through the fast path', async () => {
    const m = logisticRegression(10);
    const rows = synthetic(10_000, 10, (x) => (x[0] + x[1] > 0 ? 1 : 0));
    await expectNoLeak(async () => {
      let peak = 0;
      const before = tf.memory().numTensors;
      await lastValueFrom(
        replay(rows as never, { batchSize: 1 }).pipe(gradients(m.loss, m.params), optimize(adam({ lr: 0.01 })), applyUpdates(m.params)),
        { defaultValue: undefined },
      ).then(() => undefined);
      peak = Math.max(peak, tf.memory().numTensors - before);
      expect(peak).toBe(0);
    });
    m.dispose();
  });
});
