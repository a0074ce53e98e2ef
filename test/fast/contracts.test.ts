import * as tf from '@tensorflow/tfjs';
import { BehaviorSubject, lastValueFrom, tap, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { accuracy, adam, cosine, logLoss, logisticRegression, sgd } from '../../src/index';
import { linearRegression } from '../../src/models/linearRegression';
import { airfoil } from '../../streams/sources/airfoil';
import { minibatches } from '../../streams/sources/minibatches';
import { replay } from '../../streams/sources/replay';
import { mulberry32 } from '../../streams/sources/mulberry32';
import { gradients } from '../../streams/operators/gradients';
import { learningRate } from '../../streams/operators/learningRate';
import { override } from '../../streams/operators/override';
import { optimize } from '../../streams/operators/optimize';
import { applyUpdates } from '../../streams/operators/applyUpdates';
import { progressiveValidation } from '../../streams/operators/progressiveValidation';
import { expectNoLeak } from '../helpers';

/** |a − b| ≤ 1e-6·max(|a|, |b|) + 1e-7 for every pair. */
function expectClose(a: readonly number[], b: readonly number[], what: string): void {
  expect(a.length).toBe(b.length);
  a.forEach((v, i) => {
    if (!(Math.abs(v - b[i]) <= 1e-6 * Math.max(Math.abs(v), Math.abs(b[i])) + 1e-7)) throw new Error(`${what}[${i}]: ${v} vs ${b[i]}`);
  });
}

/** A seeded binary stream: x ~ U(−1, 1)^d, y = [x₀ − x₁ > 0]. */
function rows(n: number, d: number): { xs: number[][]; ys: number[] } {
  const rand = mulberry32(9);
  const xs = Array.from({ length: n }, () => Array.from({ length: d }, () => rand() * 2 - 1));
  return { xs, ys: xs.map((x) => (x[0] - x[1] > 0 ? 1 : 0)) };
}

describe('the fast path keeps the pipeline contracts', () => {
  it('a schedule and a live override (applied from the next step) give the same lr, losses and norms on both paths', async () => {
    const run = async (fast: boolean) => {
      const model = linearRegression(5, { seed: 1 });
      const slider = new BehaviorSubject<number | null>(null);
      const results = await lastValueFrom(
        minibatches(airfoil(), { batchSize: 10, shuffle: true, seed: 4 }).pipe(
          gradients(model.loss, model.params, { fast }),
          learningRate(cosine({ base: 0.05, tMax: 150 })),
          override('lr', slider),
          optimize(adam()),
          applyUpdates(model.params),
          tap((r) => {
            if (r.step === 40) slider.next(0.002);
            if (r.step === 90) slider.next(null);
          }),
          toArray(),
        ),
      );
      model.dispose();
      return results;
    };
    const general = await run(false);
    const fast = await run(true);
    expect(fast.map((r) => r.lr)).toEqual(general.map((r) => r.lr));
    expect(fast[40].lr).toBe(0.002); // step 41: the override emitted during step 40 applies from the next step
    expect(fast[39].lr).not.toBe(0.002);
    expectClose(fast.map((r) => r.loss), general.map((r) => r.loss), 'loss');
    expectClose(fast.map((r) => r.gradNorm), general.map((r) => r.gradNorm), 'gradNorm');
    expectClose(fast.map((r) => r.updateNorm), general.map((r) => r.updateNorm), 'updateNorm');
  });

  it('test-then-train: the same per-example predictions and metrics on both paths (each made before its update)', async () => {
    const data = rows(300, 6);
    const run = async (fast: boolean) => {
      const model = logisticRegression(6);
      const predictions: number[] = [];
      const results = await lastValueFrom(
        replay(data, { batchSize: 1 }).pipe(
          progressiveValidation(model, { metrics: [accuracy(), logLoss()] }),
          tap((s) => predictions.push(s.predictions!.proba![1])),
          gradients(model.loss, model.params, { fast }),
          optimize(sgd({ lr: 0.5 })),
          applyUpdates(model.params),
          toArray(),
        ),
      );
      model.dispose();
      return { predictions, results };
    };
    const general = await run(false);
    const fast = await run(true);
    expect(fast.predictions[0]).toBe(0.5); // zero weights: σ(0), made before the first update
    expectClose(fast.predictions, general.predictions, 'p');
    expectClose(fast.results.map((r) => r.online!.metrics!.logLoss), general.results.map((r) => r.online!.metrics!.logLoss), 'logLoss');
    expect(fast.results.map((r) => r.online!.metrics!.accuracy)).toEqual(general.results.map((r) => r.online!.metrics!.accuracy));
  });

  it('a non-finite update fails the step naming the parameter, as on the tfjs path; the parameters keep the last good values', async () => {
    const run = async (fast: boolean) => {
      const model = linearRegression(5, { seed: 1 });
      let good: number[] = [];
      // airfoil is standardised: |g| ≈ 0.24 at step 1, η = 3e38 gives |u| ≈ 7e37 (finite); step 2's gradient is ≈ 1e38·‖x‖², past float32's 3.4e38.
      const error = await lastValueFrom(
        minibatches(airfoil(), { batchSize: 10 }).pipe(
          gradients(model.loss, model.params, { fast }),
          optimize(sgd({ lr: 3e38 })),
          applyUpdates(model.params),
          tap(() => (good = Array.from(model.params.w.dataSync()))),
        ),
      ).catch((e: Error) => e);
      const after = Array.from(model.params.w.dataSync());
      model.dispose();
      return { error: String(error), good, after };
    };
    const general = await run(false);
    const fast = await run(true);
    expect(fast.error).toBe('RxgradError: Expected `updates.w` finite values (use skipNonFinite() to skip such steps), got a non-finite update at step 2');
    expect(fast.error).toBe(general.error);
    expect(fast.after).toEqual(fast.good);
  });

  it('numTensors stays flat over 10,000 minibatch steps (checked every 1,000) and nothing is left after', async () => {
    const model = logisticRegression(4);
    const data = rows(500, 4);
    const counts: number[] = [];
    await expectNoLeak(() =>
      lastValueFrom(
        minibatches(data, { batchSize: 5, epochs: 100, shuffle: true, seed: 1 }).pipe(
          gradients(model.loss, model.params),
          optimize(adam({ lr: 0.01 })),
          applyUpdates(model.params),
          tap((r) => {
            if (r.step % 1000 === 0) counts.push(tf.memory().numTensors);
          }),
        ),
      ),
    );
    expect(counts).toHaveLength(10);
    expect(new Set(counts).size).toBe(1);
    model.dispose();
  });
});
