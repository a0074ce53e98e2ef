import { map, take } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { logisticRegression } from '../../src/models/logisticRegression';
import { sgd } from '../../src/optimizers/sgd';
import type { ExampleTable } from '../../src/online/ExampleTable';
import { replay } from '../../streams/sources/replay';
import { gradients } from '../../streams/operators/gradients';
import { learningRate } from '../../streams/operators/learningRate';
import { override } from '../../streams/operators/override';
import { optimize } from '../../streams/operators/optimize';
import { applyUpdates } from '../../streams/operators/applyUpdates';
import type { StepResult } from '../../streams/Step';
import { expectNoLeak, marbles } from '../helpers';

/**
 * Three rows for logistic regression from w = 0, b = 0, SGD at lr 1 (σ the sigmoid, L = softplus(z) − y·z):
 *   step 1: x = [1, 2], y = 1: z = 0, p = ½, L = log 2 = 0.6931; g = p − y = −½,
 *           ∇w = [−0.5, −1], ∇b = −0.5, ‖∇‖ = √1.5 = 1.2247 → w = [0.5, 1], b = 0.5
 *   step 2: x = [2, 0], y = 0: z = 1.5, p = σ(1.5) = 0.817574, L = log(1 + e^1.5) = 1.7014;
 *           ∇w = [1.635149, 0], ∇b = 0.817574, ‖∇‖ = 0.817574·√5 = 1.8282
 *           → (lr 1) w = [−1.135149, 1], b = −0.317574
 *   step 3: x = [0, 1], y = 1: z = 1 − 0.317574 = 0.682426, L = log(1 + e^−z) = 0.4091;
 *           ∇w = [0, p − 1], ∇b = p − 1 with p = 0.664275: ‖∇‖ = 0.335725·√2 = 0.4748
 */
const table: ExampleTable = { n: 3, d: 2, xs: Float32Array.of(1, 2, 2, 0, 0, 1), ys: Float32Array.of(1, 0, 1) };

/** loss:gradNorm:lr:fused of a result. */
const show = (r: StepResult) => `${r.loss.toFixed(4)}:${r.gradNorm.toFixed(4)}:${r.lr}:${r.info.fused}`;

describe('the fused pipeline (marbles)', () => {
  it('values, a paced source, and the lifetime of a hyperparameter stream', async () => {
    const m = logisticRegression(2);
    await expectNoLeak(() => {
      const ts = marbles();
      ts.run(({ cold, expectObservable, expectSubscriptions }) => {
        // 100 rows/s: one step every 10 ms (the first at once, before the cold stream's first value: `initial`); the stream of lr is subscribed with the run and left when it completes.
        const lr = cold('a', { a: 1 });
        const out = replay(table, { batchSize: 1, rate: 100, scheduler: ts }).pipe(gradients(m.loss, m.params), learningRate(lr, { initial: 1 }), optimize(sgd()), applyUpdates(m.params), map(show));
        expectObservable(out).toBe('a 9ms b 9ms (c|)', { a: '0.6931:1.2247:1:1', b: '1.7014:1.8282:1:1', c: '0.4091:0.4748:1:1' });
        expectSubscriptions(lr.subscriptions).toBe('^ 19ms !');
      });
    });
    m.dispose();
  });

  it('a live override applies from the next step on', async () => {
    const m = logisticRegression(2);
    await expectNoLeak(() => {
      const ts = marbles();
      ts.run(({ cold, expectObservable, expectSubscriptions }) => {
        const slider = cold('15ms x', { x: 0.25 });
        const out = replay(table, { batchSize: 1, rate: 100, scheduler: ts }).pipe(gradients(m.loss, m.params), learningRate(1), override('lr', slider), optimize(sgd()), applyUpdates(m.params), map(show));
        // Step 3's loss and gradient come before its update: only its lr changes.
        expectObservable(out).toBe('a 9ms b 9ms (c|)', { a: '0.6931:1.2247:1:1', b: '1.7014:1.8282:1:1', c: '0.4091:0.4748:0.25:1' });
        expectSubscriptions(slider.subscriptions).toBe('^ 19ms !');
      });
    });
    m.dispose();
  });

  it('an error of a hyperparameter stream fails the run and frees everything', async () => {
    const m = logisticRegression(2);
    await expectNoLeak(() => {
      const ts = marbles();
      ts.run(({ cold, expectObservable, expectSubscriptions }) => {
        const lr = cold('a 14ms #', { a: 1 }, new Error('slider lost'));
        const out = replay(table, { batchSize: 1, rate: 100, scheduler: ts }).pipe(gradients(m.loss, m.params), learningRate(lr, { initial: 1 }), optimize(sgd()), applyUpdates(m.params), map(show));
        expectObservable(out).toBe('a 9ms b 4ms #', { a: '0.6931:1.2247:1:1', b: '1.7014:1.8282:1:1' }, new Error('slider lost'));
        expectSubscriptions(lr.subscriptions).toBe('^ 14ms !');
      });
    });
    m.dispose();
  });

  it('a bad label fails the step with the model’s error, after the good steps', async () => {
    const m = logisticRegression(2);
    const bad: ExampleTable = { n: 2, d: 2, xs: Float32Array.of(1, 2, 2, 0), ys: Float32Array.of(1, 5) };
    await expectNoLeak(() => {
      const ts = marbles();
      ts.run(({ expectObservable }) => {
        const out = replay(bad, { batchSize: 1, rate: 100, scheduler: ts }).pipe(gradients(m.loss, m.params), optimize(sgd({ lr: 1 })), applyUpdates(m.params), map(show));
        expectObservable(out).toBe('a 9ms #', { a: '0.6931:1.2247:1:1' }, expect.objectContaining({ message: 'Expected `batch.y[0]` a class index in [0, 2), got 5' }));
      });
    });
    m.dispose();
  });

  it('early unsubscribe, and a synchronous source cut by take: exactly the steps emitted were learned', async () => {
    const m = logisticRegression(2);
    await expectNoLeak(() => {
      const ts = marbles();
      ts.run(({ cold, expectObservable, expectSubscriptions }) => {
        const lr = cold('a', { a: 1 });
        const paced = replay(table, { batchSize: 1, rate: 100, scheduler: ts }).pipe(gradients(m.loss, m.params), learningRate(lr, { initial: 1 }), optimize(sgd()), applyUpdates(m.params), map(show));
        expectObservable(paced, '^ 14ms !').toBe('a 9ms b', { a: '0.6931:1.2247:1:1', b: '1.7014:1.8282:1:1' });
        expectSubscriptions(lr.subscriptions).toBe('^ 14ms !');
      });
    });
    // Two steps learned: w = [−1.135149, 1], b = −0.317574 (see above).
    expect(Array.from(m.params.w.dataSync()).map((v) => v.toFixed(5))).toEqual(['-1.13515', '1.00000']);
    expect(m.params.b.dataSync()[0].toFixed(5)).toBe('-0.31757');
    m.dispose();
    const s = logisticRegression(2);
    await expectNoLeak(() =>
      marbles().run(({ expectObservable }) => {
        const sync = replay(table, { batchSize: 1 }).pipe(gradients(s.loss, s.params), optimize(sgd({ lr: 1 })), applyUpdates(s.params), take(1), map(show));
        expectObservable(sync).toBe('(a|)', { a: '0.6931:1.2247:1:1' });
      }),
    );
    // One step learned: w = [0.5, 1], b = 0.5.
    expect(Array.from(s.params.w.dataSync())).toEqual([0.5, 1]);
    expect(s.params.b.dataSync()[0]).toBe(0.5);
    s.dispose();
  });
});
