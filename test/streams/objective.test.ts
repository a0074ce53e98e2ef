import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { lastValueFrom, toArray } from 'rxjs';
import { objective } from '../../streams/sources/objective';
import { expectNoLeak } from '../helpers';

describe('objective', () => {
  it('emits `steps` batch-less steps and evaluates f at params.x', async () => {
    await expectNoLeak(async () => {
      const p = objective((x) => tf.tidy(() => tf.sum(tf.mul(tf.square(x), tf.tensor1d([1, 2])))) as tf.Scalar, [-5, -2], { steps: 3 });
      const steps = await lastValueFrom(p.steps.pipe(toArray()));
      expect(steps.map((s) => [s.step, s.epoch, s.batch, s.size, s.examples])).toEqual([
        [1, 1, null, 1, 1],
        [2, 1, null, 1, 2],
        [3, 1, null, 1, 3],
      ]);
      // f(−5, −2) = 25 + 2·4 = 33
      const l = p.loss(p.params);
      expect(l.dataSync()[0]).toBe(33);
      l.dispose();
      p.dispose();
    });
  });

  it('makes every subscription a run: its steps carry one scope, a new one per subscription', async () => {
    const p = objective((x) => tf.sum(x) as tf.Scalar, [1, 2], { steps: 2 });
    const a = await lastValueFrom(p.steps.pipe(toArray()));
    const b = await lastValueFrom(p.steps.pipe(toArray()));
    expect(a[0].scope).toBeDefined();
    expect(a[1].scope).toBe(a[0].scope);
    expect(b[0].scope).not.toBe(a[0].scope);
    expect(a[0].scope!.closed).toBe(true);
    p.dispose();
  });

  it('rejects a bad start point and step count', () => {
    const f = (x: tf.Tensor1D) => tf.sum(x) as tf.Scalar;
    expect(() => objective(f, [])).toThrow('Expected `x0` a non-empty array of finite numbers, got []');
    expect(() => objective(f, [1, NaN])).toThrow('Expected `x0` a non-empty array of finite numbers, got [1, NaN]');
    expect(() => objective(f, [1], { steps: 0 })).toThrow('Expected `steps` an integer ≥ 1, got 0');
    expect(() => objective(3 as never, [1])).toThrow('Expected `f` a function of x returning a scalar, got 3');
  });
});
