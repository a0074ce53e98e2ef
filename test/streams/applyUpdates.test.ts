import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { lastValueFrom, map, of, take, toArray } from 'rxjs';
import { applyUpdates } from '../../streams/operators/applyUpdates';
import { gradients } from '../../streams/operators/gradients';
import { optimize } from '../../streams/operators/optimize';
import { evaluate } from '../../streams/operators/evaluate';
import type { Step, StepResult } from '../../streams/Step';
import { scaleByLearningRate } from '../../src/transforms/scaleByLearningRate';
import { skipNonFinite } from '../../src/transforms/skipNonFinite';
import { sgd } from '../../src/optimizers/sgd';
import { addUpdates } from '../../src/addUpdates';
import { RxgradError } from '../../src/RxgradError';
import { objective } from '../../streams/sources/objective';
import { expectNoLeak, marbles, tinyProblem, tinyStep } from '../helpers';

/** A step that already carries updates (as optimize would leave it). */
function withUpdates(step: number, w: number[][], extra: Partial<Step> = {}): Step {
  return { ...tinyStep(step), loss: tf.scalar(2.25), grads: { w: tf.tensor2d([[-3], [-6]]) }, updates: { w: tf.tensor2d(w) }, hyper: { lr: 0.1 }, ...extra };
}

describe('applyUpdates', () => {
  it('adds the updates and reports plain numbers', async () => {
    const p = tinyProblem();
    await expectNoLeak(async () => {
      const before = Date.now();
      const [r] = await lastValueFrom(of(withUpdates(1, [[0.3], [0.6]])).pipe(applyUpdates(p.params, { track: ['w'] }), toArray()));
      // wallTime: Date.now()'s clock in whole ms, read while the step was applied (± 1 ms: wallClock).
      expect(Number.isInteger(r.wallTime)).toBe(true);
      expect(r.wallTime).toBeGreaterThanOrEqual(before - 1);
      expect(r.wallTime).toBeLessThanOrEqual(Date.now() + 1);
      // w = [0.5, −0.5] + [0.3, 0.6] = [0.8, 0.1]
      expect(r.values!.w[0]).toBeCloseTo(0.8, 6);
      expect(r.values!.w[1]).toBeCloseTo(0.1, 6);
      expect(r).toMatchObject({ step: 1, epoch: 1, lr: 0.1, hyper: { lr: 0.1 }, size: 1, examples: 1, info: {} });
      expect(r.loss).toBe(2.25);
      // ‖g‖ = √(9 + 36) = √45, ‖u‖ = √(0.09 + 0.36) = √0.45
      expect(r.gradNorm).toBeCloseTo(Math.sqrt(45), 5);
      expect(r.updateNorm).toBeCloseTo(Math.sqrt(0.45), 6);
      expect(r.time).toBeGreaterThanOrEqual(0);
      expect(Object.values(r).some((v) => v instanceof tf.Tensor)).toBe(false);
      expect(JSON.parse(JSON.stringify(r))).toEqual(r);
    });
    p.dispose();
  });

  it('runs the whole step: gradients → optimize → applyUpdates (w ← w − 0.1·[−3, −6])', async () => {
    const p = tinyProblem();
    await expectNoLeak(async () => {
      const rs = await lastValueFrom(
        of(1).pipe(map((k) => tinyStep(k)), gradients(p.loss, p.params), optimize(scaleByLearningRate(0.1)), applyUpdates(p.params, { track: ['w'] }), toArray()),
      );
      expect(rs[0].values!.w[0]).toBeCloseTo(0.8, 6);
      expect(rs[0].values!.w[1]).toBeCloseTo(0.1, 6);
      expect(rs[0].lr).toBe(0.1);
    });
    p.dispose();
  });

  it('fails a non-finite update naming the parameter, leaving the parameters untouched', async () => {
    const p = tinyProblem();
    const before = p.params.w.arraySync();
    await expectNoLeak(async () => {
      await expect(lastValueFrom(of(withUpdates(1, [[NaN], [0]])).pipe(applyUpdates(p.params)))).rejects.toThrow(
        'Expected `updates.w` finite values (use skipNonFinite() to skip such steps), got a non-finite update at step 1',
      );
    });
    expect(p.params.w.arraySync()).toEqual(before);
    p.dispose();
  });

  it('fails an update whose result x + u overflows float32 (lr 1e38), naming the parameter, before anything is assigned', async () => {
    // f(x) = x₁ + x₂, g = [1, 1], sgd: u = −1e38·g; x₁ = −3e38: x₁ + u₁ = −4e38 < −3.4028e38 → −Infinity in float32
    await expectNoLeak(async () => {
      const o = objective((x) => tf.sum(x) as tf.Scalar, [1, -3e38], { steps: 3 });
      const before = Array.from(o.params.x.dataSync());
      const run = o.steps.pipe(gradients(o.loss, o.params), optimize(sgd({ lr: 1e38 })), applyUpdates(o.params));
      await expect(lastValueFrom(run)).rejects.toThrow(RxgradError);
      await expect(lastValueFrom(run)).rejects.toThrow(
        'Expected `params.x` finite values after the update x + u (use skipNonFinite() to skip such steps), got a value that is not finite in float32 (the update overflows it)',
      );
      expect(Array.from(o.params.x.dataSync())).toEqual(before); // x₂ = 1 was not moved either
      o.dispose();
    });
  });

  it('skips such a step when skipNonFinite is in the chain: counted, parameters and optimizer state untouched', async () => {
    await expectNoLeak(async () => {
      const o = objective((x) => tf.sum(x) as tf.Scalar, [1, -3e38], { steps: 3 });
      const before = Array.from(o.params.x.dataSync());
      const counts: number[] = [];
      const rs = await lastValueFrom(
        o.steps.pipe(
          gradients(o.loss, o.params),
          optimize(skipNonFinite(sgd({ lr: 1e38, momentum: 0.9 })), { onState: (s) => counts.push(s.skipped) }),
          applyUpdates(o.params),
          toArray(),
        ),
      );
      expect(rs.map((r) => r.info.skipped)).toEqual([1, 1, 1]);
      expect(counts).toEqual([1, 2, 3]);
      expect(Array.from(o.params.x.dataSync())).toEqual(before);
      o.dispose();
    });
  });

  it('addUpdates checks x + u on the fused and the tfjs path alike, assigning nothing on failure', () => {
    for (const mode of [true, false] as const) {
      const params = { a: tf.variable(tf.tensor1d([1, 2])), b: tf.variable(tf.tensor1d([3e38])) };
      const updates = { a: tf.tensor1d([1, 1]), b: tf.tensor1d([3e38]) };
      const before = tf.memory().numTensors;
      expect(() => addUpdates(params, updates, mode)).toThrow('Expected `params.b` finite values after the update x + u');
      expect(tf.memory().numTensors).toBe(before);
      expect(Array.from(params.a.dataSync())).toEqual([1, 2]); // a comes first and fits: still not assigned
      addUpdates(params, { a: updates.a }, mode);
      expect(Array.from(params.a.dataSync())).toEqual([2, 3]);
      tf.dispose([params.a, params.b, updates.a, updates.b]);
    }
  });

  it('names the parameter and both shapes on a shape mismatch, and an unknown parameter', async () => {
    const p = tinyProblem();
    await expectNoLeak(async () => {
      await expect(lastValueFrom(of(withUpdates(1, [[1, 2]])).pipe(applyUpdates(p.params)))).rejects.toThrow(
        "Expected `updates.w` shape [2, 1] (the parameter's), got shape [1, 2]",
      );
      const stray = { ...tinyStep(1), updates: { v: tf.zeros([1]) } };
      await expect(lastValueFrom(of(stray).pipe(applyUpdates(p.params)))).rejects.toThrow(
        'Expected `updates.v` to name a parameter (one of w), got unknown parameter `v`',
      );
      await expect(lastValueFrom(of(tinyStep(1)).pipe(applyUpdates(p.params)))).rejects.toThrow('put optimize() before applyUpdates()');
    });
    expect(() => applyUpdates(p.params, { track: ['nope'] })).toThrow('Expected `track` names of parameters (w), got "nope"');
    p.dispose();
  });

  it('keeps lifetimes: complete, error, early unsubscribe and take (marbles)', async () => {
    const p = tinyProblem();
    const steps = (src: ReturnType<ReturnType<typeof marbles>['createColdObservable']>) =>
      src.pipe(
        map((k) => (k === 'n' ? withUpdates(9, [[NaN], [0]]) : withUpdates(Number(k), [[0], [0]]))),
        applyUpdates(p.params),
        map((r) => r.step),
      );
    await expectNoLeak(() =>
      marbles().run(({ cold, expectObservable, expectSubscriptions }) => {
        expectObservable(steps(cold('-1-2|'))).toBe('-a-b|', { a: 1, b: 2 });
        const failing = cold('-1-n-2|');
        expectObservable(steps(failing)).toBe('-a-#', { a: 1 }, expect.objectContaining({ field: 'updates.w' }));
        expectSubscriptions(failing.subscriptions).toBe('^--!');
        const cut = cold('-1-2-3|');
        expectObservable(steps(cut), '^--!').toBe('-a-', { a: 1 });
        expectObservable(steps(cold('-1-2-3|')).pipe(take(2))).toBe('-a-(b|)', { a: 1, b: 2 });
      }),
    );
    p.dispose();
  });
});

describe('evaluate', () => {
  const result = (step: number, size: number): StepResult => ({
    step, epoch: 1, loss: 1, lr: 0.1, hyper: { lr: 0.1 }, gradNorm: 1, updateNorm: 1, size, examples: step * size, time: 1, wallTime: 0, info: {},
  });

  it('evaluates at the first step reaching each multiple of everyExamples (batch 30, every 50: examples 60, 120, 150)', () => {
    let calls = 0;
    marbles().run(({ cold, expectObservable }) => {
      const src = cold('abcde|', { a: result(1, 30), b: result(2, 30), c: result(3, 30), d: result(4, 30), e: result(5, 30) });
      const out = src.pipe(evaluate('full', () => ++calls, { everyExamples: 50 }), map((r) => r.info.full ?? 0));
      expectObservable(out).toBe('abcde|', { a: 0, b: 1, c: 0, d: 2, e: 3 });
    });
  });

  it('fails on a non-number and rejects bad options', () => {
    marbles().run(({ cold, expectObservable }) => {
      expectObservable(cold('a|', { a: result(1, 50) }).pipe(evaluate('full', () => NaN, { everyExamples: 50 }))).toBe(
        '#', undefined, expect.objectContaining({ field: 'full' }),
      );
    });
    expect(() => evaluate('full', () => 1, { everyExamples: 0 })).toThrow('Expected `everyExamples` an integer ≥ 1, got 0');
  });

  it('leaves no tensor behind after a pipeline that completes, errors in the evaluation, or is unsubscribed early', async () => {
    const p = tinyProblem();
    const run = (failAt?: number) => {
      let calls = 0;
      return of(1, 2, 3, 4).pipe(
        map((k) => tinyStep(k)),
        gradients(p.loss, p.params),
        optimize(scaleByLearningRate(0.01)),
        applyUpdates(p.params),
        evaluate('full', () => {
          if (++calls === failAt) throw new Error('evaluation failed');
          return tf.tidy(() => p.loss(p.params, { xs: tf.tensor2d([[1, 2]]), ys: tf.tensor2d([[1]]) }).dataSync()[0]);
        }, { everyExamples: 1 }),
      );
    };
    await expectNoLeak(async () => {
      const rs = await lastValueFrom(run().pipe(toArray()));
      expect(rs.map((r) => r.info.full > 0)).toEqual([true, true, true, true]);
      await expect(lastValueFrom(run(2))).rejects.toThrow('evaluation failed');
      expect(await lastValueFrom(run().pipe(take(1), toArray()))).toHaveLength(1);
    });
    p.dispose();
  });
});
