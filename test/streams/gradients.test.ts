import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { Subject, lastValueFrom, map, of, take, toArray } from 'rxjs';
import { sgd } from '../../src/optimizers/sgd';
import { applyUpdates } from '../../streams/operators/applyUpdates';
import { gradients } from '../../streams/operators/gradients';
import { optimize } from '../../streams/operators/optimize';
import { disposeStep } from '../../streams/Step';
import { expectNoLeak, marbles, tinyProblem, tinyStep } from '../helpers';

describe('gradients', () => {
  it('sets loss and name-keyed gradients (hand derivation in tinyProblem: loss 2.25, ∂w = [−3, −6])', async () => {
    const p = tinyProblem();
    const [s] = await lastValueFrom(of(tinyStep(1)).pipe(gradients(p.loss, p.params), toArray()));
    expect(s.loss!.dataSync()[0]).toBeCloseTo(2.25, 6);
    expect(Object.keys(s.grads!)).toEqual(['w']);
    expect(Array.from(s.grads!.w.dataSync())).toEqual([-3, -6]);
    expect(s.params).toBe(p.params);
    disposeStep(s);
    p.dispose();
  });

  it('keeps values and lifetimes (marbles), freeing every tensor', async () => {
    const p = tinyProblem();
    await expectNoLeak(() =>
      marbles().run(({ cold, expectObservable, expectSubscriptions }) => {
        const src = cold('-a--b-|', { a: 1, b: 2 });
        const out = src.pipe(
          map((k) => tinyStep(k)),
          gradients(p.loss, p.params),
          map((s) => {
            const g = Array.from(s.grads!.w.dataSync());
            disposeStep(s);
            return `${s.step}:${g.join(',')}`;
          }),
        );
        expectObservable(out).toBe('-a--b-|', { a: '1:-3,-6', b: '2:-3,-6' });
        expectSubscriptions(src.subscriptions).toBe('^-----!');
      }),
    );
    p.dispose();
  });

  it('unsubscribes early without leaking (marbles)', async () => {
    const p = tinyProblem();
    await expectNoLeak(() =>
      marbles().run(({ cold, expectObservable, expectSubscriptions }) => {
        const src = cold('-a-b-c-|', { a: 1, b: 2, c: 3 });
        const out = src.pipe(map((k) => tinyStep(k)), gradients(p.loss, p.params), map((s) => (disposeStep(s), s.step)));
        expectObservable(out, '^--!').toBe('-a-', { a: 1 });
        expectSubscriptions(src.subscriptions).toBe('^--!');
      }),
    );
    p.dispose();
  });

  it('errors with the loss shape when the loss is not a scalar, freeing the step', async () => {
    const p = tinyProblem();
    await expectNoLeak(() =>
      marbles().run(({ cold, expectObservable }) => {
        const bad = (params: typeof p.params, b: { xs: tf.Tensor }) => tf.matMul(b.xs as tf.Tensor2D, params.w as tf.Tensor2D) as unknown as tf.Scalar;
        const out = cold('-a-b|', { a: 1, b: 2 }).pipe(map((k) => tinyStep(k)), gradients(bad, p.params));
        expectObservable(out).toBe('-#', undefined, expect.objectContaining({ message: 'Expected `loss` a scalar tensor (rank 0), got shape [1, 1]' }));
      }),
    );
    p.dispose();
  });

  it('turns a throwing loss function into an error and frees the step', async () => {
    const p = tinyProblem();
    await expectNoLeak(async () => {
      const s = new Subject<number>();
      const errors: Error[] = [];
      s.pipe(map((k) => tinyStep(k)), gradients(() => { throw new Error('boom'); }, p.params)).subscribe({ error: (e) => errors.push(e) });
      s.next(1);
      expect(errors.map((e) => e.message)).toEqual(['boom']);
    });
    p.dispose();
  });

  it('fails clearly on a step whose batch was already freed (a share()d source trained by two pipelines), leaking nothing', async () => {
    const p = tinyProblem();
    await expectNoLeak(async () => {
      const step = tinyStep(3);
      disposeStep(step); // what the other pipeline's applyUpdates did with the same step
      await expect(lastValueFrom(of(step).pipe(gradients(p.loss, p.params)))).rejects.toThrow(
        'Expected `step.batch.xs` a tensor not yet freed (a step is trained once: give each pipeline its own subscription of the source, not a share()d one), got a freed tensor at step 3',
      );
    });
    p.dispose();
  });

  it('trains with a parameter the loss does not use: no gradient for it, it stays as it was (was: `grads.unused` undefined)', async () => {
    const p = tinyProblem();
    const unused = tf.variable(tf.tensor1d([7]));
    const params = { ...p.params, unused };
    await expectNoLeak(async () => {
      const results = await lastValueFrom(
        of(1, 2).pipe(map((k) => tinyStep(k)), gradients(p.loss, params), optimize(sgd({ lr: 0.1, momentum: 0.9 })), applyUpdates(params), toArray()),
      );
      expect(results.map((r) => r.step)).toEqual([1, 2]);
    });
    // tinyProblem's hand derivation: ∂w = [−3, −6] at w = [0.5, −0.5]: the first step moves w by −0.1·∂w.
    expect(Array.from(unused.dataSync())).toEqual([7]);
    expect(p.params.w.dataSync()[0]).not.toBe(0.5);
    unused.dispose();
    p.dispose();
  });

  it('cuts a synchronous source with take', async () => {
    const p = tinyProblem();
    await expectNoLeak(async () => {
      const steps = await lastValueFrom(of(1, 2, 3).pipe(map((k) => tinyStep(k)), take(2), gradients(p.loss, p.params), toArray()));
      expect(steps.map((s) => s.step)).toEqual([1, 2]);
      steps.forEach(disposeStep);
    });
    p.dispose();
  });

  it('rejects bad arguments', () => {
    const p = tinyProblem();
    expect(() => gradients(42 as never, p.params)).toThrow('Expected `loss` a function (params, batch) => scalar tensor, got 42');
    expect(() => gradients(p.loss, {})).toThrow('Expected `params` a non-empty record of tf.Variable');
    expect(() => gradients(p.loss, { w: tf.zeros([1]) as tf.Variable })).toThrow('Expected `params.w` a tf.Variable');
    p.dispose();
  });
});
