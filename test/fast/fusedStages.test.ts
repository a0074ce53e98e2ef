import * as tf from '@tensorflow/tfjs';
import { map, Subject, take, throwError, type Observable } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { accuracy } from '../../src/metrics/accuracy';
import { logisticRegression } from '../../src/models/logisticRegression';
import { sgd } from '../../src/optimizers/sgd';
import type { ExampleTable } from '../../src/online/ExampleTable';
import { replay } from '../../streams/sources/replay';
import { gradients } from '../../streams/operators/gradients';
import { learningRate } from '../../streams/operators/learningRate';
import { override } from '../../streams/operators/override';
import { optimize } from '../../streams/operators/optimize';
import { applyUpdates } from '../../streams/operators/applyUpdates';
import { progressiveValidation, type Label, type ProgressiveValidationOptions } from '../../streams/operators/progressiveValidation';
import type { StepResult } from '../../streams/Step';
import { expectNoLeak, marbles } from '../helpers';

/**
 * The fused run's passes as synchronous stages (`PassFusion.handlers`, `fusedSteps` 6):
 * progressiveValidation, learningRate and override called one after the other per step, in one
 * operator. The rows and hand derivation are fusedMarbles.test.ts's: logistic regression from
 * w = 0, b = 0, SGD at lr 1, learning rows 1, 2, 3 in order:
 *   row 1: x = [1, 2], y = 1: L = log 2 = 0.6931, ‖∇‖ = √1.5 = 1.2247 → w = [0.5, 1], b = 0.5
 *   row 2: x = [2, 0], y = 0: L = log(1 + e^1.5) = 1.7014, ‖∇‖ = 1.8282 → w = [−1.135149, 1], b = −0.317574
 *   row 3: x = [0, 1], y = 1: L = 0.4091, ‖∇‖ = 0.4748
 * Test-then-train predictions (ŷ = [p > ½]) one step ahead of the update: row 1 at w = 0 (p = ½,
 * ŷ = 0, y = 1): wrong; row 2 at w = [0.5, 1], b = 0.5: z = 1.5, ŷ = 1, y = 0: wrong; row 3 at
 * w = [−1.135149, 1], b = −0.317574: z = 0.682, ŷ = 1, y = 1: right — accuracy 0, 0, ⅓.
 */
const table: ExampleTable = { n: 3, d: 2, xs: Float32Array.of(1, 2, 2, 0, 0, 1), ys: Float32Array.of(1, 0, 1) };

/** step:loss:gradNorm:lr:accuracy:fused of a result. */
const show = (r: StepResult) => `${r.step}:${r.loss.toFixed(4)}:${r.gradNorm.toFixed(4)}:${r.lr}:${r.online?.metrics?.accuracy?.toFixed(4)}:${r.info.fused ?? 0}`;

/** replay → progressiveValidation → gradients → learningRate → (override) → optimize(sgd) → applyUpdates, on `m`. */
function pipeline(m: ReturnType<typeof logisticRegression>, steps: ReturnType<typeof replay>, fast: 'auto' | false, pv: Partial<ProgressiveValidationOptions> = {}, slider?: Observable<number | null>) {
  return steps.pipe(
    progressiveValidation(m, { metrics: [accuracy()], ...pv }),
    gradients(m.loss, m.params, { fast }),
    learningRate(1),
    ...((slider ? [override('lr', slider)] : []) as []),
    optimize(sgd()),
    applyUpdates(m.params),
  );
}

describe('the fused run with its passes as one operator', () => {
  it('agrees with the general path: every field, the flush of delayed answers at the end, the parameters', () => {
    const results: Record<string, StepResult[]> = {};
    const finals: Record<string, number[]> = {};
    for (const fast of ['auto', false] as const) {
      const m = logisticRegression(2);
      const out: StepResult[] = [];
      // delay 1 example: step 1 answers nothing (no step passed on), steps 2 and 3 learn rows 1 and 2, the end (step 4) row 3.
      // Predictions: row 1 at step 1 and row 2 at step 2 with w = 0 (p = ½, ŷ = 0): wrong, right; row 3 at step 3 after
      // row 1 only (w = [0.5, 1], b = 0.5: z = 1.5, ŷ = 1): right — accuracy 0, ½, ⅔.
      pipeline(m, replay(table, { batchSize: 1 }), fast, { delay: { examples: 1 } }).subscribe((r) => out.push(r));
      results[String(fast)] = out;
      finals[String(fast)] = [...m.params.w.dataSync(), ...m.params.b.dataSync()];
      m.dispose();
    }
    const fused = results.auto;
    const general = results.false;
    expect(fused.map(show)).toEqual(['2:0.6931:1.2247:1:0.0000:1', '3:1.7014:1.8282:1:0.5000:1', '4:0.4091:0.4748:1:0.6667:1']);
    expect(general.map((r) => show(r).replace(/:0$/, ':1'))).toEqual(fused.map(show));
    for (let i = 0; i < fused.length; i++) {
      const { info: fi, time: ft, wallTime: fw, loss: fl, gradNorm: fg, updateNorm: fu, ...f } = fused[i];
      const { info: gi, time: gt, wallTime: gw, loss: gl, gradNorm: gg, updateNorm: gu, ...g } = general[i];
      expect(f).toEqual(g);
      for (const [a, b] of [[fl, gl], [fg, gg], [fu, gu]]) expect(Math.abs(a - b)).toBeLessThanOrEqual(1e-6 * Math.abs(b));
      expect(Object.keys(fused[i])).toEqual(Object.keys(general[i]));
    }
    expect(finals.auto.map((v) => v.toFixed(5))).toEqual(finals.false.map((v) => v.toFixed(5)));
  });

  it('marbles: an override from the next step on, a label stream left at the end, values on time', async () => {
    const m = logisticRegression(2);
    await expectNoLeak(() => {
      const ts = marbles();
      ts.run(({ cold, expectObservable, expectSubscriptions }) => {
        const slider = cold('15ms x', { x: 0.25 });
        // Every row labelled: the label stream is only followed (and left when the run completes).
        const labels = cold<Label>('-');
        const out = pipeline(m, replay(table, { batchSize: 1, rate: 100, scheduler: ts }), 'auto', { labels }, slider).pipe(map(show));
        // Row 1 predicted at w = 0 (p = ½, ŷ = 0: wrong), row 2 wrong, row 3 right (see above); step 3's lr is the override's.
        expectObservable(out).toBe('a 9ms b 9ms (c|)', { a: '1:0.6931:1.2247:1:0.0000:1', b: '2:1.7014:1.8282:1:0.0000:1', c: '3:0.4091:0.4748:0.25:0.3333:1' });
        expectSubscriptions(slider.subscriptions).toBe('^ 19ms !');
        expectSubscriptions(labels.subscriptions).toBe('^ 19ms !');
      });
    });
    m.dispose();
  });

  it('marbles: an error from a pass fails the run at its step (the results before it delivered), its side streams left', async () => {
    const m = logisticRegression(2);
    const unlabelled: ExampleTable = { n: 2, d: 2, xs: Float32Array.of(1, 2, 2, 0), ys: Float32Array.of(1, NaN) };
    await expectNoLeak(() => {
      const ts = marbles();
      ts.run(({ cold, expectObservable, expectSubscriptions }) => {
        const slider = cold<number | null>('-');
        const out = pipeline(m, replay(unlabelled, { batchSize: 1, rate: 100, scheduler: ts }), 'auto', {}, slider).pipe(map(show));
        expectObservable(out).toBe('a 9ms #', { a: '1:0.6931:1.2247:1:0.0000:1' }, expect.objectContaining({ message: expect.stringContaining('Expected `batch.y[0]` a label') }));
        expectSubscriptions(slider.subscriptions).toBe('^ 9ms !');
      });
    });
    // One step learned: w = [0.5, 1], b = 0.5.
    expect(Array.from(m.params.w.dataSync())).toEqual([0.5, 1]);
    m.dispose();
  });

  it('marbles: an error of a side stream (labels) fails the run, and the other passes’ streams are left', async () => {
    const m = logisticRegression(2);
    await expectNoLeak(() => {
      const ts = marbles();
      ts.run(({ cold, expectObservable, expectSubscriptions }) => {
        const slider = cold<number | null>('-');
        const labels = cold<Label>('12ms #', undefined, new Error('labels lost'));
        const out = pipeline(m, replay(table, { batchSize: 1, rate: 100, scheduler: ts }), 'auto', { labels }, slider).pipe(map(show));
        expectObservable(out).toBe('a 9ms b 1ms #', { a: '1:0.6931:1.2247:1:0.0000:1', b: '2:1.7014:1.8282:1:0.0000:1' }, new Error('labels lost'));
        expectSubscriptions(slider.subscriptions).toBe('^ 11ms !');
        expectSubscriptions(labels.subscriptions).toBe('^ 11ms !');
      });
    });
    m.dispose();
  });

  it('a pass failing while the run is set up tears down the passes already set up', async () => {
    const m = logisticRegression(2);
    await expectNoLeak(() =>
      marbles().run(({ cold, expectObservable, expectSubscriptions }) => {
        const slider = cold<number | null>('-');
        // The label stream fails at once: progressiveValidation's setup throws; the override after it (set up first) is left at once.
        const out = pipeline(m, replay(table, { batchSize: 1 }), 'auto', { labels: throwError(() => new Error('no labels')) }, slider);
        expectObservable(out).toBe('#', undefined, new Error('no labels'));
        expectSubscriptions(slider.subscriptions).toBe('(^!)');
      }),
    );
    expect(Array.from(m.params.w.dataSync())).toEqual([0, 0]);
    m.dispose();
  });

  it('early unsubscribe: a synchronous source cut by take(n) learns exactly n steps; a later subscription is a run of its own', async () => {
    const m = logisticRegression(2);
    const slider = new Subject<number | null>();
    await expectNoLeak(() =>
      marbles().run(({ expectObservable }) => {
        expectObservable(pipeline(m, replay(table, { batchSize: 1 }), 'auto', {}, slider).pipe(take(2), map(show))).toBe('(ab|)', { a: '1:0.6931:1.2247:1:0.0000:1', b: '2:1.7014:1.8282:1:0.0000:1' });
      }),
    );
    expect(slider.observed).toBe(false);
    // Two steps learned: w = [−1.135149, 1], b = −0.317574.
    expect(Array.from(m.params.w.dataSync()).map((v) => v.toFixed(5))).toEqual(['-1.13515', '1.00000']);
    expect(m.params.b.dataSync()[0].toFixed(5)).toBe('-0.31757');
    const before = tf.memory().numTensors;
    const again: StepResult[] = [];
    pipeline(m, replay(table, { batchSize: 1 }), 'auto').pipe(take(1)).subscribe((r) => again.push(r));
    // Row 1 predicted with the parameters of the first run: z = −1.135149 + 2 − 0.317574 = 0.547, ŷ = 1 = y.
    expect(again.map((r) => [r.step, r.info.fused, r.online?.metrics?.accuracy])).toEqual([[1, 1, 1]]);
    expect(tf.memory().numTensors).toBe(before);
    m.dispose();
  });
});
