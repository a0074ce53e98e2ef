import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { NEVER, Subject, lastValueFrom, map, of, take, throwError, toArray } from 'rxjs';
import { cosine, perEpoch, type HyperValue } from '../../../src/index';
import { hyper } from '../../../streams/operators/hyper';
import { learningRate } from '../../../streams/operators/learningRate';
import { disposeStep, type Step } from '../../../streams/Step';
import { expectNoLeak, marbles, tinyStep } from '../../helpers';
import { stepValues } from './steps';

const lrOf = map((s: Step<unknown>) => s.hyper.lr);

describe('hyper / learningRate: values', () => {
  it('a number, a schedule of the step, a schedule of the epoch', () => {
    marbles().run(({ cold, expectObservable }) => {
      const steps = cold('-a-b-c-|', stepValues(3, (t) => (t < 3 ? 1 : 2)));
      expectObservable(steps.pipe(learningRate(0.1), lrOf)).toBe('-x-x-x-|', { x: 0.1 });
      expectObservable(steps.pipe(learningRate((t) => t / 10), lrOf)).toBe('-x-y-z-|', { x: 0.1, y: 0.2, z: 0.3 });
      expectObservable(steps.pipe(learningRate(perEpoch((e) => 10 ** -e)), lrOf)).toBe('-x-x-y-|', { x: 0.1, y: 0.01 });
    });
  });

  it('keeps other hyperparameters and sets any name', () => {
    marbles().run(({ cold, expectObservable }) => {
      const steps = cold('-a-|', stepValues(1));
      expectObservable(steps.pipe(hyper('momentum', 0.9), learningRate(0.1), map((s) => s.hyper))).toBe('-x-|', { x: { momentum: 0.9, lr: 0.1 } });
    });
  });

  it('a stream: its latest value applies from the next step; `initial` until it emits', () => {
    marbles().run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const steps = cold('-a-b-c-d-e-|', stepValues(5));
      const slider = hot('--x---y-----', { x: 0.5, y: 0.25 });
      expectObservable(steps.pipe(learningRate(slider, { initial: 1 }), lrOf)).toBe('-i-x-x-y-y-|', { i: 1, x: 0.5, y: 0.25 });
      expectSubscriptions(slider.subscriptions).toBe('^----------!');
    });
  });

  it('a late-emitting stream of schedules: initial schedule first, then the new schedule at each step', () => {
    marbles().run(({ cold, hot, expectObservable }) => {
      const steps = cold('-a-b-c-d-|', stepValues(4));
      const schedules = hot<HyperValue>('----s----', { s: (t: number) => t });
      expectObservable(steps.pipe(learningRate(schedules, { initial: (t) => -t }), lrOf)).toBe('-p-q-r-s-|', { p: -1, q: -2, r: 3, s: 4 });
    });
  });

  it('a stream that has not emitted, without initial: the first step fails with a clear error', () => {
    marbles().run(({ cold, expectObservable, expectSubscriptions }) => {
      const steps = cold('-a-b-|', stepValues(2));
      const silent = cold<number>('-');
      expectObservable(steps.pipe(learningRate(silent), lrOf)).toBe(
        '-#',
        undefined,
        expect.objectContaining({ name: 'RxgradError', message: 'Expected `lr` a value before the step (the stream has not emitted; give `initial`), got none at step 1' }),
      );
      expectSubscriptions(steps.subscriptions).toBe('^!');
      expectSubscriptions(silent.subscriptions).toBe('^!');
    });
  });

  it('a BehaviorSubject-like stream emitting at subscription applies to step 1', async () => {
    const lrs = await lastValueFrom(of(...Object.values(stepValues(2))).pipe(learningRate(of(0.3)), lrOf, toArray()));
    expect(lrs).toEqual([0.3, 0.3]); // of(0.3) completes: the last value stays in force
  });
});

describe('hyper / learningRate: lifetimes and errors', () => {
  it('the stream error fails the run and unsubscribes the steps', () => {
    marbles().run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const steps = cold('-a-b-c-|', stepValues(3));
      const slider = hot('--x-#', { x: 0.5 }, new Error('slider broke'));
      expectObservable(steps.pipe(learningRate(slider, { initial: 1 }), lrOf)).toBe('-i-x#', { i: 1, x: 0.5 }, new Error('slider broke'));
      expectSubscriptions(steps.subscriptions).toBe('^---!');
    });
  });

  it('an upstream error passes through and unsubscribes the stream', () => {
    marbles().run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const steps = cold('-a-#', stepValues(1), new Error('source'));
      const slider = hot<number>('------');
      expectObservable(steps.pipe(learningRate(slider, { initial: 1 }), lrOf)).toBe('-i-#', { i: 1 }, new Error('source'));
      expectSubscriptions(slider.subscriptions).toBe('^--!');
    });
  });

  it('early unsubscribe releases the steps and the stream', () => {
    marbles().run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const steps = cold('-a-b-c-|', stepValues(3));
      const slider = hot<number>('-------');
      expectObservable(steps.pipe(learningRate(slider, { initial: 1 }), lrOf), '^--!').toBe('-i-', { i: 1 });
      expectSubscriptions(steps.subscriptions).toBe('^--!');
      expectSubscriptions(slider.subscriptions).toBe('^--!');
    });
  });

  it('a stream that errors at once fails the run before any step is pulled', () => {
    let pulled = 0;
    const errors: string[] = [];
    of(1, 2)
      .pipe(
        map((t) => (pulled++, tinyStep(t))),
        learningRate(throwError(() => new Error('no slider'))),
      )
      .subscribe({ error: (e) => errors.push(e.message) });
    expect({ pulled, errors }).toEqual({ pulled: 0, errors: ['no slider'] });
  });

  it('a bad streamed value fails the run naming the hyperparameter', () => {
    const slider = new Subject<number>();
    const errors: string[] = [];
    NEVER.pipe(learningRate(slider, { initial: 0.1 })).subscribe({ error: (e) => errors.push(e.message) });
    slider.next(NaN);
    expect(errors).toEqual(['Expected `lr` a finite number, got NaN']);
    expect(slider.observed).toBe(false);
  });

  it('a schedule giving a non-finite value fails that step', async () => {
    await expect(lastValueFrom(of(...Object.values(stepValues(2))).pipe(learningRate((t) => (t === 2 ? Infinity : 0.1))))).rejects.toThrow(
      'Expected `lr` a finite number, got Infinity',
    );
  });

  it('rejects bad arguments when built', () => {
    expect(() => hyper('', 0.1)).toThrow('Expected `name` a hyperparameter name, got ""');
    // An own key `__proto__` is lost when the step's hyper record is copied (Object.assign calls
    // the prototype setter): the value would silently never reach the optimizer.
    expect(() => hyper('__proto__', 0.5)).toThrow('Expected `name` a hyperparameter name (not __proto__), got "__proto__"');
    expect(() => learningRate('0.1' as never)).toThrow('Expected `lr` a number or a schedule (step => value), got "0.1"');
    expect(() => learningRate(NEVER, { initial: NaN })).toThrow('Expected `lr (initial)` a finite number, got NaN');
  });
});

describe('hyper / learningRate: tensors', () => {
  it('no leak on complete, on error midway, on unsubscribe, and with take after a synchronous source', async () => {
    await expectNoLeak(async () => {
      const done = await lastValueFrom(of(1, 2, 3).pipe(map((t) => tinyStep(t)), learningRate(cosine({ base: 0.1, tMax: 3 })), toArray()));
      done.forEach(disposeStep);
      const seen: number[] = [];
      await expect(
        lastValueFrom(of(1, 2, 3).pipe(map((t) => tinyStep(t)), learningRate((t) => (t === 2 ? NaN : 1)), map((s) => (disposeStep(s), seen.push(s.step))))),
      ).rejects.toThrow('got NaN');
      expect(seen).toEqual([1]);
      const slider = new Subject<number>();
      const source = new Subject<number>();
      const sub = source.pipe(map((t) => tinyStep(t)), learningRate(slider, { initial: 1 })).subscribe(disposeStep);
      source.next(1);
      sub.unsubscribe();
      expect([source.observed, slider.observed]).toEqual([false, false]);
      const kept = await lastValueFrom(of(1, 2, 3, 4).pipe(map((t) => tinyStep(t)), learningRate(0.1), take(2), toArray()));
      expect(kept.map((s) => s.step)).toEqual([1, 2]);
      kept.forEach(disposeStep);
    });
  });
});
