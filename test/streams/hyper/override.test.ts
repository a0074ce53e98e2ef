import { describe, expect, it } from 'vitest';
import { NEVER, Subject, lastValueFrom, map, of, take, throwError, toArray } from 'rxjs';
import type { HyperValue } from '../../../src/index';
import { learningRate } from '../../../streams/operators/learningRate';
import { override } from '../../../streams/operators/override';
import { disposeStep, type Step } from '../../../streams/Step';
import { expectNoLeak, marbles, tinyStep } from '../../helpers';
import { plainStep, stepValues } from './steps';

const lrAndInfo = map((s: Step<unknown>) => [s.hyper.lr, s.info?.['override.lr']]);

describe('override: values', () => {
  it("'replace': the schedule rules until the first value, the override from the next step, null hands back", () => {
    marbles().run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const steps = cold('-a-b-c-d-e-|', stepValues(5));
      const slider = hot<number | null>('--x---n-----', { x: 0.5, n: null });
      // schedule lr = t/10; override 0.5 at steps 2–3; null at frame 6 → steps 4–5 back to t/10
      expectObservable(steps.pipe(learningRate((t) => t / 10), override('lr', slider), lrAndInfo)).toBe('-a-b-c-d-e-|', {
        a: [0.1, undefined],
        b: [0.5, 0.5],
        c: [0.5, 0.5],
        d: [0.4, undefined],
        e: [0.5, undefined],
      });
      expectSubscriptions(slider.subscriptions).toBe('^----------!');
    });
  });

  it("'scale': multiplies the value upstream put on the step; a schedule override is evaluated at the step", () => {
    marbles().run(({ cold, hot, expectObservable }) => {
      const steps = cold('-a-b-c-|', stepValues(3));
      const factor = hot<HyperValue | null>('--x-y---', { x: 2, y: (t: number) => t });
      expectObservable(steps.pipe(learningRate(0.1), override('lr', factor, { mode: 'scale' }), lrAndInfo)).toBe('-a-b-c-|', {
        a: [0.1, undefined],
        b: [0.2, 2],
        c: [0.30000000000000004, 3], // 0.1 · 3
      });
    });
  });

  it("'replace' with no upstream value sets it; `initial` restores a resumed run's override", () => {
    marbles().run(({ cold, expectObservable }) => {
      const steps = cold('-a-b-|', stepValues(2));
      expectObservable(steps.pipe(override('lr', cold<number>('-'), { initial: 0.05 }), lrAndInfo)).toBe('-a-b-|', { a: [0.05, 0.05], b: [0.05, 0.05] });
      expectObservable(steps.pipe(override('lr', cold<number>('-')), map((s) => s.hyper))).toBe('-a-b-|', { a: {}, b: {} });
    });
  });
});

describe('override: lifetimes and errors', () => {
  it('the override stream error fails the run; early unsubscribe releases both streams', () => {
    marbles().run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const steps = cold('-a-b-c-|', stepValues(3));
      const broken = hot<number>('--x-#', { x: 0.5 }, new Error('socket closed'));
      expectObservable(steps.pipe(override('lr', broken), lrAndInfo)).toBe('-a-b#', { a: [undefined, undefined], b: [0.5, 0.5] }, new Error('socket closed'));
      expectSubscriptions(steps.subscriptions).toBe('^---!');
      const more = cold('-a-b-c-|', stepValues(3));
      const quiet = hot<number>('-------');
      expectObservable(more.pipe(override('lr', quiet), lrAndInfo), '^--!').toBe('-a-', { a: [undefined, undefined] });
      expectSubscriptions(more.subscriptions).toBe('^--!');
      expectSubscriptions(quiet.subscriptions).toBe('^--!');
    });
  });

  it('completion of the override stream keeps its last value', async () => {
    const lrs = await lastValueFrom(of(...Object.values(stepValues(3))).pipe(learningRate(0.1), override('lr', of(0.02)), map((s) => s.hyper.lr), toArray()));
    expect(lrs).toEqual([0.02, 0.02, 0.02]);
  });

  it("'scale' without an upstream value fails the step", async () => {
    await expect(lastValueFrom(of(...Object.values(stepValues(1))).pipe(override('lr', of(2), { mode: 'scale' })))).rejects.toThrow(
      "Expected `step.hyper.lr` a value to scale (put learningRate() or hyper('lr', …) before override()), got undefined",
    );
  });

  it('bad values and arguments name the field', () => {
    const slider = new Subject<number>();
    const errors: string[] = [];
    NEVER.pipe(override('lr', slider)).subscribe({ error: (e) => errors.push(e.message) });
    slider.next('fast' as never);
    expect(errors).toEqual(['Expected `override.lr` a number or a schedule (step => value), got "fast"']);
    expect(slider.observed).toBe(false);
    expect(() => override('lr', 0.1 as never)).toThrow('Expected `values` an Observable of numbers, schedules or null, got 0.1');
    expect(() => override('lr', NEVER, { mode: 'add' as never })).toThrow('Expected `mode` one of "replace", "scale", got "add"');
    expect(() => override('__proto__', NEVER)).toThrow('Expected `name` a hyperparameter name (not __proto__), got "__proto__"');
    const failed: string[] = [];
    of(plainStep(1)).pipe(override('lr', throwError(() => new Error('gone')))).subscribe({ error: (e) => failed.push(e.message) });
    expect(failed).toEqual(['gone']);
  });

  it('no leak on complete, error, unsubscribe and take after a synchronous source', async () => {
    await expectNoLeak(async () => {
      const done = await lastValueFrom(of(1, 2, 3).pipe(map((t) => tinyStep(t)), learningRate(0.1), override('lr', of(0.5), { mode: 'scale' }), toArray()));
      expect(done.map((s) => s.hyper.lr)).toEqual([0.05, 0.05, 0.05]);
      done.forEach(disposeStep);
      await expect(lastValueFrom(of(1, 2).pipe(map((t) => tinyStep(t)), override('lr', of(2), { mode: 'scale' })))).rejects.toThrow('a value to scale');
      const source = new Subject<number>();
      const slider = new Subject<number>();
      const sub = source.pipe(map((t) => tinyStep(t)), override('lr', slider)).subscribe(disposeStep);
      source.next(1);
      slider.next(0.3);
      source.next(2);
      sub.unsubscribe();
      expect([source.observed, slider.observed]).toEqual([false, false]);
      const kept = await lastValueFrom(of(1, 2, 3, 4).pipe(map((t) => tinyStep(t)), override('lr', of(0.1)), take(2), toArray()));
      expect(kept.map((s) => s.step)).toEqual([1, 2]);
      kept.forEach(disposeStep);
    });
  });
});
