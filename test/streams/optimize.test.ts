import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { Subject, defer, finalize, lastValueFrom, map, of, repeat, retry, take, tap, toArray } from 'rxjs';
import { adam, disposeReplaced, restoreState, RxgradError, serializeState, sgd, type SerializedState } from '../../src/index';
import { hyper } from '../../streams/operators/hyper';
import { learningRate } from '../../streams/operators/learningRate';
import { applyUpdates } from '../../streams/operators/applyUpdates';
import { reduceOnPlateau, type Metric } from '../../streams/operators/reduceOnPlateau';
import { minibatches } from '../../streams/sources/minibatches';
import { RunScope, scopeOf } from '../../streams/RunScope';
import type { Batch } from '../../streams/Step';
import { bits } from '../src/helpers';
import { gradients } from '../../streams/operators/gradients';
import { optimize } from '../../streams/operators/optimize';
import { disposeStep } from '../../streams/Step';
import { disposeTree, mapTree, tensorsIn, zerosLike } from '../../src/tree';
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
    expect(start.m.w.isDisposed).toBe(false); // the caller's: optimize started from a copy
    steps.forEach(disposeStep);
    disposeTree(start);
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

  it('a given state survives retry(), repeat() and a second subscription: each starts from a copy', async () => {
    const p = tinyProblem();
    const start = { m: { w: tf.tensor2d([[2], [2]]) } };
    await expectNoLeak(async () => {
      let fail = true;
      const run = defer(() => of(1, 2)).pipe(
        map((k) => tinyStep(k)),
        gradients(p.loss, p.params),
        optimize(halfTrace(), { state: start }),
        map((s) => {
          const u = updatesOf(s);
          disposeStep(s);
          if (s.step === 2 && fail) {
            fail = false;
            throw new Error('once');
          }
          return u;
        }),
      );
      // from m_0 = [2, 2], g = [−3, −6]: m_1 = [−2, −5], u_1 = [2, 5]; m_2 = [−4, −8.5], u_2 = [4, 8.5]
      const once = [[2, 5], [4, 8.5]];
      expect(await lastValueFrom(run.pipe(retry(1), toArray()))).toEqual([[2, 5], ...once]);
      expect(await lastValueFrom(run.pipe(repeat(2), toArray()))).toEqual([...once, ...once]);
      expect(await lastValueFrom(run.pipe(toArray()))).toEqual(once);
    });
    expect(Array.from(start.m.w.dataSync())).toEqual([2, 2]);
    disposeTree(start);
    p.dispose();
  });

  it('rejects a given state that does not fit the transform, naming the field', async () => {
    const p = tinyProblem();
    const wrong = { m: { v: tf.zeros([2, 1]) } };
    await expectNoLeak(async () => {
      await expect(lastValueFrom(of(1).pipe(map((k) => tinyStep(k)), gradients(p.loss, p.params), optimize(halfTrace(), { state: wrong })))).rejects.toThrow(
        "Expected `options.state.m` an object with the keys w (the optimizer's state layout), got an object with the keys v",
      );
    });
    disposeTree(wrong);
    p.dispose();
  });

  it('rejects a hyperparameter the transform does not read, listing the valid ones (hyper learning_rate with sgd)', async () => {
    const p = tinyProblem();
    await expectNoLeak(async () => {
      const run = (name: string) =>
        lastValueFrom(of(1, 2).pipe(map((k) => tinyStep(k)), gradients(p.loss, p.params), hyper(name, 0.5), optimize(sgd({ lr: 0.1 })), map((s) => (disposeStep(s), s.step)), toArray()));
      await expect(run('learning_rate')).rejects.toThrow(RxgradError);
      await expect(run('learning_rate')).rejects.toThrow(
        'Expected `hyper.learning_rate` a hyperparameter the transform reads (one of weightDecay, momentum, dampening, lr), got a value nothing would use, at step 1',
      );
      expect(await run('momentum')).toEqual([1, 2]);
      await expect(
        lastValueFrom(of(1).pipe(map((k) => ({ ...tinyStep(k), hyper: { lr: 0.1 } })), gradients(p.loss, p.params), optimize(halfTrace()))),
      ).rejects.toThrow('Expected `hyper.lr` a hyperparameter the transform reads (none: this transform reads no hyperparameter)');
    });
    p.dispose();
  });

  it('onState: a kept state is freed by the next update; one serialized inside the callback restores to the same next update', async () => {
    const p = tinyProblem();
    const t = sgd({ lr: 0.1, momentum: 0.9 });
    await expectNoLeak(async () => {
      let kept: unknown;
      let saved: SerializedState | undefined;
      const updates: number[][] = [];
      await lastValueFrom(
        of(1, 2, 3).pipe(
          map((k) => tinyStep(k)),
          gradients(p.loss, p.params),
          optimize(t, {
            onState: (s, step) => {
              kept = s;
              if (step === 2) saved = serializeState(s); // the pattern: serialize inside the callback
            },
          }),
          map((s) => (updates.push(updatesOf(s)), disposeStep(s))),
          toArray(),
        ),
      );
      expect(tensorsIn(kept).every((x) => x.isDisposed)).toBe(true); // optimize freed it at the end
      // restored after step 2, the next update (step 3, same gradient) is bit-identical
      const restored = restoreState(JSON.parse(JSON.stringify(saved)), t, p.params);
      const g = { w: tf.tensor2d([[-3], [-6]]) };
      const r = t.update(g, restored, p.params, { step: 3, epoch: 1, hyper: {} });
      expect(Array.from(r.updates.w.dataSync())).toEqual(updates[2]);
      disposeReplaced(restored, r.state);
      disposeTree([restored, r, g]);
    });
    p.dispose();
  });
});

describe('optimize and reduceOnPlateau in a run’s checkpoint (step.scope)', () => {
  const data = { xs: Array.from({ length: 40 }, (_, i) => [Math.sin(i), Math.cos(3 * i)]), ys: Array.from({ length: 40 }, (_, i) => Math.sin(i) - 2 * Math.cos(3 * i) + 0.5) };

  /** A run from `from` (a checkpoint: step, saved scope, params) cut after `stopAfter` steps: each step's update bits and the checkpoint after `saveAt`. */
  async function run(options: { from?: { step: number; scope: Record<string, unknown>; params: Record<string, number[]> }; saveAt?: number; stopAfter?: number }) {
    const { from } = options;
    const params = tf.tidy(() => ({ w: tf.variable(tf.zeros([2, 1])), b: tf.variable(tf.zeros([1])) }));
    if (from) for (const [n, v] of Object.entries(params)) tf.tidy(() => v.assign(tf.tensor(from.params[n], v.shape)));
    const loss = (q: typeof params, { xs, ys }: Batch) => tf.tidy(() => tf.losses.meanSquaredError(ys, xs.matMul(q.w).add(q.b)) as tf.Scalar);
    const metrics = new Subject<Metric>();
    const bitsOf: Record<number, number[]> = {};
    let checkpoint: { step: number; scope: Record<string, unknown>; params: Record<string, number[]> } | undefined;
    await lastValueFrom(
      minibatches(data, { batchSize: 4, epochs: 3, shuffle: true, seed: 5, start: { step: (from?.step ?? 0) + 1 }, ...(from && { resume: { state: from.scope } }) }).pipe(
        take(options.stopAfter ?? Infinity),
        gradients(loss as never, params),
        learningRate(0.05),
        reduceOnPlateau(metrics, { factor: 0.5, patience: 1, threshold: 0.05 }),
        optimize(adam({ lr: 0.05 })),
        tap((s) => (bitsOf[s.step] = [...bits(s.updates!.w), ...bits(s.updates!.b)])),
        applyUpdates(params),
        tap((r) => {
          metrics.next({ step: r.step, epoch: r.epoch, value: r.loss });
          if (r.step === options.saveAt) {
            const scope = scopeOf(r)!.save();
            checkpoint = JSON.parse(JSON.stringify({ step: r.step, scope, params: { w: Array.from(params.w.dataSync()), b: Array.from(params.b.dataSync()) } }));
          }
        }),
      ),
    );
    tf.dispose([params.w, params.b]);
    return { bitsOf, checkpoint };
  }

  it('save → restore through the scope: the resumed run’s updates are bit-identical to the uninterrupted run’s', async () => {
    await expectNoLeak(async () => {
      const whole = await run({ saveAt: 12 });
      const saved = whole.checkpoint!;
      expect(Object.keys(saved.scope).sort()).toEqual(['optimizer', 'plateau']);
      const rest = await run({ from: saved });
      for (let t = 13; t <= 30; t++) expect(rest.bitsOf[t], `step ${t}`).toEqual(whole.bitsOf[t]);
      // without the restored optimizer state the next update differs (the state matters)
      const { optimizer: _, ...plateauOnly } = saved.scope;
      const fresh = await run({ from: { ...saved, scope: plateauOnly }, stopAfter: 1 });
      expect(fresh.bitsOf[13]).not.toEqual(whole.bitsOf[13]);
    });
  });

  it('a checkpoint of another optimizer fails the first step naming the field', async () => {
    const p = tinyProblem();
    const sgdState = serializeState(sgd({ momentum: 0.9 }).init(p.params));
    const run = defer(() => {
      const scope = RunScope.open({ optimizer: sgdState });
      return of(1).pipe(map((k) => scope.own({ ...tinyStep(k), scope })), finalize(() => scope.end()));
    }).pipe(gradients(p.loss, p.params), optimize(adam()));
    await expectNoLeak(() => expect(lastValueFrom(run)).rejects.toThrow("Expected `state[1].params.w` an object with the keys count, m, v, vMax (the optimizer's state layout)"));
    p.dispose();
  });
});
