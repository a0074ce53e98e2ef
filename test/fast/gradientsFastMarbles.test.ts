import { map, take } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { logisticRegression } from '../../src/models/logisticRegression';
import type { ExampleBatch } from '../../src/ExampleBatch';
import { gradients } from '../../streams/operators/gradients';
import { disposeStep, type Step } from '../../streams/Step';
import { expectNoLeak, marbles } from '../helpers';

/**
 * Step k: one row x = [k, 1] with label y = k mod 2, for logistic regression at w = 0, b = 0:
 * p = σ(0) = ½, L = log 2, ∂L/∂w = (½ − y)·x, ∂L/∂b = ½ − y.
 *   k = 1 (y = 1): ∂w = [−0.5, −0.5];   k = 2 (y = 0): ∂w = [1, 0.5];   k = 3 (y = 1): ∂w = [−1.5, −0.5]
 */
function rowStep(k: number, label = k % 2): Step<ExampleBatch> {
  return {
    step: k,
    epoch: 1,
    batch: { n: 1, d: 2, x: Float32Array.of(k, 1), y: Float32Array.of(label), ids: [undefined], times: Float64Array.of(0) } as ExampleBatch,
    size: 1,
    examples: k,
    startedAt: 0,
    hyper: {},
  };
}

/** The step's loss (4 decimals) and ∂w, then the step freed. */
function read(s: Step<ExampleBatch>): string {
  const text = `${s.loss!.dataSync()[0].toFixed(4)}:${Array.from(s.grads!.w.dataSync()).join(',')}`;
  disposeStep(s);
  return text;
}

describe('gradients on the fast path (marbles)', () => {
  it('values and lifetimes: log 2 and the hand-derived gradients, every tensor freed', async () => {
    const m = logisticRegression(2);
    await expectNoLeak(() =>
      marbles().run(({ cold, expectObservable, expectSubscriptions }) => {
        const src = cold('-a--b-c|', { a: 1, b: 2, c: 3 });
        const out = src.pipe(map((k) => rowStep(k)), gradients<ExampleBatch>(m.loss, m.params), map(read));
        expectObservable(out).toBe('-a--b-c|', { a: '0.6931:-0.5,-0.5', b: '0.6931:1,0.5', c: '0.6931:-1.5,-0.5' });
        expectSubscriptions(src.subscriptions).toBe('^------!');
      }),
    );
    m.dispose();
  });

  it('early unsubscribe and a synchronous source cut by take', async () => {
    const m = logisticRegression(2);
    await expectNoLeak(() =>
      marbles().run(({ cold, expectObservable, expectSubscriptions }) => {
        const src = cold('-a-b-c-|', { a: 1, b: 2, c: 3 });
        expectObservable(src.pipe(map((k) => rowStep(k)), gradients<ExampleBatch>(m.loss, m.params), map(read)), '^--!').toBe('-a-', { a: '0.6931:-0.5,-0.5' });
        expectSubscriptions(src.subscriptions).toBe('^--!');
        const sync = cold('(abc|)', { a: 1, b: 2, c: 3 });
        expectObservable(sync.pipe(map((k) => rowStep(k)), gradients<ExampleBatch>(m.loss, m.params), take(2), map(read))).toBe('(ab|)', { a: '0.6931:-0.5,-0.5', b: '0.6931:1,0.5' });
      }),
    );
    m.dispose();
  });

  it('a label outside the classes errors naming it and frees the step', async () => {
    const m = logisticRegression(2);
    await expectNoLeak(() =>
      marbles().run(({ cold, expectObservable }) => {
        const out = cold('-a-b|', { a: 1, b: 2 }).pipe(map((k) => rowStep(k, k === 2 ? 7 : 1)), gradients<ExampleBatch>(m.loss, m.params), map(read));
        expectObservable(out).toBe('-a-#', { a: '0.6931:-0.5,-0.5' }, expect.objectContaining({ message: 'Expected `batch.y[0]` a class index in [0, 2), got 7' }));
      }),
    );
    m.dispose();
  });
});
