import { describe, expect, it } from 'vitest';
import { lastValueFrom, map, range, Subject, take, toArray } from 'rxjs';
import { accumulate, adam, addDecayedWeights, chain, masked, multiTransform, setToZero, sgd, type Transform } from '../../../src/index';
import { applyUpdates, gradients, optimize } from '../../../streams/index';
import { expectNoLeak, tinyProblem, tinyStep } from '../../helpers';
import * as tf from '@tensorflow/tfjs';

/**
 * Issue 11's transforms through optimize leave no tensor on complete, error and early
 * unsubscribe — accumulate's partial sum mid-group included, which only an unsubscribe
 * between two updates leaves behind.
 */
const twoParams = () => {
  const w = tf.variable(tf.tensor2d([[0.5], [-0.5]]));
  const b = tf.variable(tf.tensor1d([0.1]));
  return {
    params: { w, b },
    loss: (p: Record<string, tf.Tensor>, { xs, ys }: { xs: tf.Tensor; ys: tf.Tensor }) => tf.tidy(() => tf.mean(tf.square(tf.sub(tf.matMul(xs as tf.Tensor2D, p.w as tf.Tensor2D).add(p.b), ys)))) as tf.Scalar,
    dispose: () => tf.dispose([w, b]),
  };
};
const TRANSFORMS: Record<string, () => Transform<any>> = {
  'accumulate(3, adam)': () => accumulate(3, adam({ lr: 0.1 })),
  'multiTransform(adam on w, setToZero on b)': () => multiTransform({ weights: adam({ lr: 0.1 }), frozen: setToZero() }, { frozen: /^b$/, weights: /^w$/ }),
  'masked decay then sgd': () => chain(masked(addDecayedWeights(0.01), /^w$/), sgd({ lr: 0.1, momentum: 0.9 })),
  'accumulate(2, multiTransform(masked, sgd))': () => accumulate(2, multiTransform({ weights: chain(masked(addDecayedWeights(0.01), /^w$/), sgd({ lr: 0.1 })), bias: sgd({ lr: 0.1 }) }, { bias: /^b$/, weights: /^w$/ })),
};

describe('issue 11 transforms through optimize: no leak', () => {
  for (const [name, make] of Object.entries(TRANSFORMS)) {
    it(`${name}: complete, error, synchronous source cut by take mid-group, early unsubscribe`, async () => {
      const p = twoParams();
      const pipeline = (n: number, bad?: number) =>
        range(1, n).pipe(
          map((k) => (k === bad ? { ...tinyStep(k), hyper: { nothingReadsThis: 1 } } : tinyStep(k))),
          gradients(p.loss as never, p.params),
          optimize(make()),
          applyUpdates(p.params),
        );
      await expectNoLeak(async () => {
        expect(await lastValueFrom(pipeline(6).pipe(toArray()))).toHaveLength(6);
      });
      await expectNoLeak(async () => {
        await expect(lastValueFrom(pipeline(6, 5))).rejects.toThrow('`hyper.nothingReadsThis`');
      });
      await expectNoLeak(async () => {
        // 4 steps: micro-batch 1 of the second group for k = 3, of the third for k = 2
        expect(await lastValueFrom(pipeline(100).pipe(take(4), toArray()))).toHaveLength(4);
      });
      await expectNoLeak(async () => {
        const steps = new Subject<number>();
        const seen: number[] = [];
        const sub = steps.pipe(map((k) => tinyStep(k)), gradients(p.loss as never, p.params), optimize(make()), applyUpdates(p.params)).subscribe((r) => seen.push(r.step));
        for (const k of [1, 2, 3, 4, 5]) steps.next(k);
        sub.unsubscribe();
        steps.next(6);
        expect(seen).toEqual([1, 2, 3, 4, 5]);
      });
      p.dispose();
    });
  }
});
