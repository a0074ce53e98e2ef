import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { Subject, lastValueFrom, map, of, take, toArray } from 'rxjs';
import { gradients } from '../../streams/operators/gradients';
import { optimize } from '../../streams/operators/optimize';
import { disposeStep } from '../../streams/Step';
import { mapTree, zerosLike } from '../../src/tree';
import type { Tensors, Transform } from '../../src/types';
import { scaleByLearningRate } from '../../src/transforms/scaleByLearningRate';
import { expectNoLeak, marbles, tinyProblem, tinyStep } from '../helpers';

/** A test transform with tensor state: m_t = ½·m_{t−1} + g_t, update = −m_t; reports `used.half`. */
function halfTrace(): Transform<{ m: Tensors }> {
  return {
    hyper: [],
    init: (params) => ({ m: zerosLike(params) }),
    update: (grads, state) =>
      tf.tidy(() => {
        const m = mapTree(grads, (g, n) => state.m[n].mul(0.5).add(g));
        return { updates: mapTree(m, (t) => t.neg()), state: { m }, used: { half: 0.5 } };
      }),
  };
}

const updatesOf = (s: { updates?: Tensors }) => Array.from(s.updates!.w.dataSync());

describe('optimize', () => {
  it('threads the state: with constant g = [−3, −6], m_1 = g, m_2 = 1.5g, m_3 = 1.75g', async () => {
    const p = tinyProblem();
    await expectNoLeak(async () => {
      const steps = await lastValueFrom(of(1, 2, 3).pipe(map((k) => tinyStep(k)), gradients(p.loss, p.params), optimize(halfTrace()), toArray()));
      expect(steps.map(updatesOf)).toEqual([[3, 6], [4.5, 9], [5.25, 10.5]]);
      expect(steps[0].hyper).toEqual({ half: 0.5 });
      steps.forEach(disposeStep);
    });
    p.dispose();
  });

  it('passes the step and its hyperparameters to the transform and reports what it used', async () => {
    const p = tinyProblem();
    const steps = await lastValueFrom(
      of(1, 2).pipe(
        map((k) => ({ ...tinyStep(k), hyper: { lr: 0.1 * k } })),
        gradients(p.loss, p.params),
        optimize(scaleByLearningRate(0.5)),
        toArray(),
      ),
    );
    // u = −lr·g with lr from the step (0.1, 0.2), not the option 0.5: −0.1·[−3, −6] = [0.3, 0.6]
    expect(updatesOf(steps[0])[0]).toBeCloseTo(0.3, 6);
    expect(updatesOf(steps[1])[1]).toBeCloseTo(1.2, 6);
    expect(steps.map((s) => s.hyper.lr)).toEqual([0.1, 0.2]);
    steps.forEach(disposeStep);
    p.dispose();
  });

  it('starts from a given state and reports each new state', async () => {
    const p = tinyProblem();
    const seen: number[] = [];
    const t = halfTrace();
    const start = { m: { w: tf.tensor2d([[2], [2]]) } };
    const steps = await lastValueFrom(
      of(1).pipe(
        map((k) => tinyStep(k)),
        gradients(p.loss, p.params),
        optimize(t, { state: start, onState: (s, step) => seen.push(step, ...s.m.w.dataSync()) }),
        toArray(),
      ),
    );
    // m = ½·2 + g = [1 − 3, 1 − 6] = [−2, −5]
    expect(seen).toEqual([1, -2, -5]);
    expect(start.m.w.isDisposed).toBe(true);
    steps.forEach(disposeStep);
    p.dispose();
  });

  it('frees its state on complete, error and early unsubscribe (marbles)', async () => {
    const p = tinyProblem();
    const pipeline = (src: ReturnType<ReturnType<typeof marbles>['createColdObservable']>) =>
      src.pipe(
        map((k) => {
          if (k === 'x') throw new Error('bad batch');
          return tinyStep(Number(k));
        }),
        gradients(p.loss, p.params),
        optimize(halfTrace()),
        map((s) => (disposeStep(s), s.step)),
      );
    await expectNoLeak(() =>
      marbles().run(({ cold, expectObservable, expectSubscriptions }) => {
        const done = cold('-1-2-|');
        expectObservable(pipeline(done)).toBe('-a-b-|', { a: 1, b: 2 });
        const failing = cold('-1-x-2|');
        expectObservable(pipeline(failing)).toBe('-a-#', { a: 1 }, new Error('bad batch'));
        expectSubscriptions(failing.subscriptions).toBe('^--!');
        const cut = cold('-1-2-3-|');
        expectObservable(pipeline(cut), '^--!').toBe('-a-', { a: 1 });
        expectSubscriptions(cut.subscriptions).toBe('^--!');
      }),
    );
    p.dispose();
  });

  it('keeps the state and frees the step when the transform throws', async () => {
    const p = tinyProblem();
    await expectNoLeak(() => {
      const s = new Subject<number>();
      const errors: string[] = [];
      const failing: Transform<{ m: Tensors }> = {
        ...halfTrace(),
        update: () => {
          throw new Error('transform failed');
        },
      };
      s.pipe(map((k) => tinyStep(k)), gradients(p.loss, p.params), optimize(failing)).subscribe({ error: (e) => errors.push(e.message) });
      s.next(1);
      expect(errors).toEqual(['transform failed']);
    });
    p.dispose();
  });

  it('cuts a synchronous source with take', async () => {
    const p = tinyProblem();
    await expectNoLeak(async () => {
      const steps = await lastValueFrom(of(1, 2, 3, 4).pipe(map((k) => tinyStep(k)), gradients(p.loss, p.params), optimize(halfTrace()), take(2), toArray()));
      expect(steps.map((s) => s.step)).toEqual([1, 2]);
      steps.forEach(disposeStep);
    });
    p.dispose();
  });

  it('rejects a non-transform and a step without gradients', async () => {
    expect(() => optimize({} as never)).toThrow('Expected `transform` a Transform { init, update }');
    await expect(lastValueFrom(of(tinyStep(1)).pipe(optimize(halfTrace())))).rejects.toThrow('put gradients() before optimize()');
  });
});
