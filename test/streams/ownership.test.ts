import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import {
  Subject,
  asyncScheduler,
  defer,
  delay,
  filter,
  finalize,
  lastValueFrom,
  map,
  observeOn,
  repeat,
  retry,
  sample,
  skip,
  take,
  tap,
  throttleTime,
  toArray,
  type MonoTypeOperatorFunction,
  type Observable,
} from 'rxjs';
import { sgd } from '../../src/optimizers/sgd';
import { adam } from '../../src/optimizers/adam';
import type { Params, Transform } from '../../src/types';
import { minibatches } from '../../streams/sources/minibatches';
import { drive } from '../../streams/sources/drive';
import { operate } from '../../streams/operate';
import { gradients } from '../../streams/operators/gradients';
import { learningRate } from '../../streams/operators/learningRate';
import { optimize } from '../../streams/operators/optimize';
import { applyUpdates } from '../../streams/operators/applyUpdates';
import { RunScope } from '../../streams/RunScope';
import { advance, disposeStep, type Batch, type Step, type StepResult } from '../../streams/Step';
import { expectNoLeak, marbles, tinyProblem, tinyStep } from '../helpers';

type StepOp = MonoTypeOperatorFunction<Step<Batch>>;

/** 20 rows of y = x₁ + 2·x₂, in 10 batches of 2. */
const data = { xs: Array.from({ length: 20 }, (_, i) => [i / 20, 1 - i / 20]), ys: Array.from({ length: 20 }, (_, i) => i / 20 + 2 * (1 - i / 20)) };

/** A linear model trained by a real source and our operators, with `ops` placed at one position. */
function pipeline(
  at: 'source' | 'grads' | 'updates',
  ops: StepOp[],
  { transform = sgd({ lr: 0.1, momentum: 0.9 }), epochs = 1, yieldEveryMs, onState }: { transform?: Transform<unknown>; epochs?: number; yieldEveryMs?: number; onState?: (s: unknown, step: number) => void } = {},
) {
  const params = { w: tf.variable(tf.zeros([2, 1])), b: tf.variable(tf.zeros([1])) };
  const loss = (p: Params, { xs, ys }: Batch) => tf.tidy(() => tf.losses.meanSquaredError(ys, xs.matMul(p.w).add(p.b)) as tf.Scalar);
  const place = (here: typeof at): StepOp[] => (here === at ? ops : []);
  const run = (minibatches(data, { batchSize: 2, epochs, yieldEveryMs }) as Observable<Step<Batch>>).pipe(
    ...(place('source') as [StepOp]),
    gradients(loss, params),
    learningRate(0.1),
    ...(place('grads') as [StepOp]),
    optimize(transform, { onState }),
    ...(place('updates') as [StepOp]),
    applyUpdates(params),
  ) as Observable<StepResult>;
  return { run, dispose: () => tf.dispose([params.w, params.b]) };
}

/** Run to the end (or the error) and give the steps that reached applyUpdates, and the error. */
async function outcome(run: Observable<StepResult>): Promise<{ steps: number[]; error?: string }> {
  const steps: number[] = [];
  return new Promise((resolve) =>
    run.subscribe({
      next: (r) => steps.push(r.step),
      error: (e: Error) => resolve({ steps, error: e.message }),
      complete: () => resolve({ steps }),
    }),
  );
}

const failAt = (k: number): StepOp =>
  tap((s) => {
    if (s.step === k) throw new Error(`tap failed at step ${k}`);
  });

describe('ownership through foreign operators (numTensors unchanged after the run)', () => {
  for (const at of ['source', 'grads', 'updates'] as const) {
    it(`a tap that throws (between ${at === 'source' ? 'the source and gradients' : at === 'grads' ? 'gradients and optimize' : 'optimize and applyUpdates'})`, async () => {
      const p = pipeline(at, [failAt(3)]);
      await expectNoLeak(async () => expect(await outcome(p.run)).toEqual({ steps: [1, 2], error: 'tap failed at step 3' }));
      p.dispose();
    });
  }

  for (const at of ['grads', 'updates'] as const) {
    it(`filter, skip, take, throttleTime between ${at === 'grads' ? 'gradients and optimize' : 'optimize and applyUpdates'}`, async () => {
      const cases: [StepOp, number[]][] = [
        [filter((s) => s.step % 3 === 0), [3, 6, 9]],
        [filter((s) => s.step < 4), [1, 2, 3]], // the last steps are dropped: freed when the run ends
        [skip(7), [8, 9, 10]],
        [take(4), [1, 2, 3, 4]],
        [throttleTime(60_000), [1]],
      ];
      for (const [op, steps] of cases) {
        const p = pipeline(at, [op]);
        await expectNoLeak(async () => expect(await outcome(p.run)).toEqual({ steps }));
        p.dispose();
      }
    });
  }

  it('sample: each notification passes the latest step, the others are freed', async () => {
    const notify = new Subject<void>();
    // the notifier fires as steps 3, 6, 9 arrive, before sample sees them: it passes 2, 5, 8
    // (the source yields between steps, so that sample has subscribed to the notifier)
    const p = pipeline('grads', [tap((s) => s.step % 3 === 0 && notify.next()), sample(notify)], { yieldEveryMs: 0 });
    await expectNoLeak(async () => expect(await outcome(p.run)).toEqual({ steps: [2, 5, 8] }));
    p.dispose();
  });

  it('retry after a throwing tap starts a new run; the failed run frees the step it failed on', async () => {
    let failed = false;
    const once: StepOp = tap((s) => {
      if (s.step === 3 && !failed) {
        failed = true;
        throw new Error('once');
      }
    });
    for (const at of ['source', 'grads', 'updates'] as const) {
      failed = false;
      const p = pipeline(at, [once, retry(1)]);
      await expectNoLeak(async () => expect(await outcome(p.run)).toEqual({ steps: [1, 2, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10] }));
      p.dispose();
    }
  });

  it('repeat at every position (a new run per repetition), with adam', async () => {
    for (const at of ['source', 'grads', 'updates'] as const) {
      const p = pipeline(at, [filter((s) => s.step !== 4), repeat(2)], { transform: adam({ lr: 0.01 }) });
      const once = [1, 2, 3, 5, 6, 7, 8, 9, 10];
      await expectNoLeak(async () => expect(await outcome(p.run)).toEqual({ steps: [...once, ...once] }));
      p.dispose();
    }
  });

  it('delay and observeOn: steps still travelling are not freed early; all reach applyUpdates', async () => {
    for (const op of [delay(1), observeOn(asyncScheduler)] as StepOp[]) {
      for (const at of ['grads', 'updates'] as const) {
        const p = pipeline(at, [op]);
        await expectNoLeak(async () => expect(await outcome(p.run)).toEqual({ steps: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] }));
        p.dispose();
      }
    }
  });

  it('delay with a filter: the dropped steps are freed, the travelling ones reach applyUpdates', async () => {
    const p = pipeline('grads', [filter((s) => s.step % 2 === 1), delay(1)]);
    await expectNoLeak(async () => expect(await outcome(p.run)).toEqual({ steps: [1, 3, 5, 7, 9] }));
    p.dispose();
  });

  it('an unsubscribe while steps wait in a delay frees them', async () => {
    const p = pipeline('grads', [delay(50)]);
    await expectNoLeak(async () => {
      const before = tf.memory().numTensors;
      const subscription = p.run.subscribe();
      expect(tf.memory().numTensors).toBeGreaterThan(before); // 10 steps held by the delay
      subscription.unsubscribe();
    });
    p.dispose();
  });

  it('an onState that throws frees the step and its updates', async () => {
    const p = pipeline('grads', [], {
      onState: (_, step) => {
        if (step === 2) throw new Error('onState failed');
      },
    });
    await expectNoLeak(async () => expect(await outcome(p.run)).toEqual({ steps: [1], error: 'onState failed' }));
    p.dispose();
    // a step made by hand (no run) is freed as well
    const tiny = tinyProblem();
    await expectNoLeak(async () => {
      const run = defer(() => [tinyStep(1)]).pipe(
        gradients(tiny.loss, tiny.params),
        optimize(sgd({ lr: 0.1 }), {
          onState: () => {
            throw new Error('onState failed');
          },
        }),
      );
      await expect(lastValueFrom(run)).rejects.toThrow('onState failed');
    });
    tiny.dispose();
  });

  it('stays flat over a long run that drops two steps in three (2,000 steps)', async () => {
    const p = pipeline('grads', [filter((s) => s.step % 3 === 0)], { transform: adam({ lr: 0.01 }), epochs: 200 });
    await expectNoLeak(async () => {
      const counts: number[] = [];
      await lastValueFrom(p.run.pipe(tap((r) => r.step % 300 === 0 && counts.push(tf.memory().numTensors)), toArray()));
      expect(counts).toHaveLength(6);
      expect(new Set(counts).size).toBe(1);
    });
    p.dispose();
  });
});

describe('RunScope ownership', () => {
  /** Steps of the tiny problem from a run opened per subscription, from a marble source. */
  const scoped = (src: Observable<string>) =>
    defer(() => {
      const scope = RunScope.open();
      return src.pipe(
        map((k) => scope.own({ ...tinyStep(Number(k)), scope })),
        finalize(() => scope.end()),
      );
    });

  it('frees the steps older than a finished one, and every open step at the end', () => {
    const scope = RunScope.open();
    const steps = [1, 2, 3, 4].map((k) => scope.own({ ...tinyStep(k), scope }));
    const later = advance(steps[2], { loss: tf.scalar(1) }); // the newest version of step 3
    expect(scope.inFlight).toBe(4);
    disposeStep(steps[1]); // step 2 finished: step 1 was dropped
    expect(steps[0].batch.xs.isDisposed).toBe(true);
    expect(scope.inFlight).toBe(2);
    const before = tf.memory().numTensors;
    scope.end(); // no one else holds the run: steps 3 (with its loss) and 4 are freed
    expect(scope.closed).toBe(true);
    expect(later.loss!.isDisposed).toBe(true);
    expect(tf.memory().numTensors).toBe(before - 5);
    // a closed run records nothing more
    const stray = scope.own({ ...tinyStep(5), scope });
    expect(scope.inFlight).toBe(0);
    disposeStep(stray);
  });

  it('the newest step and the older ones: versions, finishing in and out of order, the end', () => {
    const scope = RunScope.open();
    const s1 = scope.own({ ...tinyStep(1), scope });
    const s1b = advance(s1, { loss: tf.scalar(1) }); // newest version of the newest step
    const s2 = scope.own({ ...tinyStep(2), scope }); // step 1 is now an older open step
    const s1c = advance(s1b, { loss: tf.scalar(2) }); // a version of an older step made after step 2 (a delay)
    expect(scope.inFlight).toBe(2);
    disposeStep(s1c); // step 1 finished: step 2 stays
    expect(scope.inFlight).toBe(1);
    expect(s2.batch.xs.isDisposed).toBe(false);
    const s3 = scope.own({ ...tinyStep(3), scope });
    const s4 = scope.own({ ...tinyStep(4), scope });
    disposeStep(s4); // the newest finished: steps 2 and 3 were dropped and are freed
    expect([s2.batch.xs.isDisposed, s3.batch.xs.isDisposed, scope.inFlight]).toEqual([true, true, 0]);
    const s5 = scope.own({ ...tinyStep(5), scope });
    const s6 = scope.own({ ...tinyStep(6), scope });
    disposeStep(s5); // an older one finished: the newest stays open
    expect([s6.batch.xs.isDisposed, scope.inFlight]).toEqual([false, 1]);
    scope.end(); // the end frees the newest too
    expect([s6.batch.xs.isDisposed, scope.inFlight, scope.closed]).toEqual([true, 0, true]);
    expect(s1b.loss!.isDisposed).toBe(false); // a version replaced by a newer one is the operator's to free (not the run's)
    tf.dispose([s1b.loss!]);
  });

  it('drive opens a run per subscription, hands it to the producer and ends it with the subscription', () => {
    const seen: RunScope[] = [];
    const src = drive((scope) => {
      seen.push(scope);
      let i = 0;
      return () => (i < 3 ? ++i : undefined);
    }, { resume: { state: { optimizer: 'saved' } } });
    src.subscribe();
    src.pipe(take(1)).subscribe();
    expect(seen).toHaveLength(2);
    expect(seen[0]).not.toBe(seen[1]);
    expect(seen.map((s) => [s.ended, s.closed, s.restored('optimizer')])).toEqual([
      [true, true, 'saved'],
      [true, true, 'saved'],
    ]);
    // an operator downstream holds the run from its subscription on, until its teardown
    let scope: RunScope | undefined;
    const pass = operate<number, number>((out) => ({ next: (v) => out.next(v) }));
    const sub = drive((s) => {
      scope = s;
      let i = 0;
      return () => (i < 1 ? ++i : undefined);
    }).pipe(delay(1), pass).subscribe(); // the value waits in the delay
    expect([scope!.ended, scope!.closed]).toEqual([true, false]);
    sub.unsubscribe();
    expect(scope!.closed).toBe(true);
  });

  it('a hold keeps the steps until it is released', () => {
    const scope = RunScope.open();
    const s = scope.own({ ...tinyStep(1), scope });
    scope.hold();
    scope.end();
    expect(s.batch.xs.isDisposed).toBe(false);
    scope.release();
    expect(s.batch.xs.isDisposed).toBe(true);
  });

  it('marbles: filter between gradients and optimize passes the kept steps on time and frees the others', async () => {
    const p = tinyProblem();
    await expectNoLeak(() =>
      marbles().run(({ cold, expectObservable, expectSubscriptions }) => {
        const src = cold('-1-2-3-4-|');
        const out = scoped(src).pipe(
          gradients(p.loss, p.params),
          filter((s) => s.step % 2 === 0),
          optimize(sgd({ lr: 0.01 })),
          applyUpdates(p.params),
          map((r) => r.step),
        );
        expectObservable(out).toBe('---a---b-|', { a: 2, b: 4 });
        expectSubscriptions(src.subscriptions).toBe('^--------!');
      }),
    );
    p.dispose();
  });

  it('marbles: a delay keeps its steps alive past the source’s completion; an error and an early unsubscribe free them', async () => {
    const p = tinyProblem();
    await expectNoLeak(() =>
      marbles().run(({ cold, expectObservable }) => {
        const run = (src: Observable<string>) =>
          scoped(src).pipe(gradients(p.loss, p.params), delay(5), optimize(sgd({ lr: 0.01 })), applyUpdates(p.params), map((r) => r.step));
        expectObservable(run(cold('12|'))).toBe('-----a(b|)', { a: 1, b: 2 });
        expectObservable(run(cold('12#', undefined, new Error('up')))).toBe('--#', undefined, new Error('up'));
        expectObservable(run(cold('12|')), '^---!').toBe('-');
      }),
    );
    p.dispose();
  });

  it('marbles: take cuts the run; the step a throwing tap failed on is freed', async () => {
    const p = tinyProblem();
    await expectNoLeak(() =>
      marbles().run(({ cold, expectObservable, expectSubscriptions }) => {
        const src = cold('-1-2-3-|');
        const out = scoped(src).pipe(gradients(p.loss, p.params), take(2), optimize(sgd({ lr: 0.01 })), applyUpdates(p.params), map((r) => r.step));
        expectObservable(out).toBe('-a-(b|)', { a: 1, b: 2 });
        expectSubscriptions(src.subscriptions).toBe('^--!');
        const failing = cold('-1-2-3-|');
        const bad = scoped(failing).pipe(
          gradients(p.loss, p.params),
          tap((s) => {
            if (s.step === 2) throw new Error('tap');
          }),
          optimize(sgd({ lr: 0.01 })),
          applyUpdates(p.params),
          map((r) => r.step),
        );
        expectObservable(bad).toBe('-a-#', { a: 1 }, new Error('tap'));
        expectSubscriptions(failing.subscriptions).toBe('^--!');
      }),
    );
    p.dispose();
  });
});
