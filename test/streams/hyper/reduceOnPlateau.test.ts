import { describe, expect, it } from 'vitest';
import { NEVER, Subject, lastValueFrom, map, of, take, tap, toArray } from 'rxjs';
import { cosine, type PlateauState } from '../../../src/index';
import { learningRate } from '../../../streams/operators/learningRate';
import { reduceOnPlateau, type Metric } from '../../../streams/operators/reduceOnPlateau';
import { disposeStep, type Step } from '../../../streams/Step';
import { expectNoLeak, marbles, tinyStep } from '../../helpers';
import { plainStep, stepValues } from './steps';

const lrOf = map((s: Step<unknown>) => s.hyper.lr);
const metric = (step: number, value: number, epoch = 1): Metric => ({ step, epoch, value });

/** Steps 1 … n through `op`, each followed synchronously by its metric `values[t − 1]` (the feedback loop). */
function fedBack(n: number, values: number[], options: Parameters<typeof reduceOnPlateau>[1] = {}) {
  const metrics = new Subject<Metric>();
  return of(...Array.from({ length: n }, (_, i) => plainStep(i + 1))).pipe(
    reduceOnPlateau(metrics, options),
    tap((s) => metrics.next(metric(s.step, values[s.step - 1]))),
    lrOf,
    toArray(),
  );
}

describe('reduceOnPlateau: values', () => {
  it('fed back synchronously, the value at step t uses the metrics of steps 1 … t − 1', async () => {
    // patience 1, factor 0.5: m1 best; m2, m3 bad (2 > 1 → ×0.5 after m3); m4 best 0.5; m5, m6 bad → ×0.5 after m6
    const lrs = await lastValueFrom(fedBack(7, [1, 1, 1, 0.5, 0.5, 0.5, 0.5], { factor: 0.5, patience: 1, initial: 0.1 }));
    expect(lrs).toEqual([0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025]);
  });

  it('multiplies a schedule upstream (cosine × plateau) and reports its factor in info', async () => {
    const metrics = new Subject<Metric>();
    const c = cosine({ base: 0.1, tMax: 4 });
    const steps = await lastValueFrom(
      of(1, 2, 3, 4).pipe(
        map((t) => plainStep(t)),
        learningRate(c),
        reduceOnPlateau(metrics, { factor: 0.5, patience: 0 }),
        tap((s) => metrics.next(metric(s.step, 1))), // m1 best, then every metric is bad → ×0.5 each
        toArray(),
      ),
    );
    expect(steps.map((s) => s.info?.['plateau.lr'])).toEqual([1, 1, 0.5, 0.25]);
    expect(steps.map((s) => s.hyper.lr)).toEqual([c(1) * 1, c(2) * 1, c(3) * 0.5, c(4) * 0.25]);
  });

  it("every: 'epoch' — one metric after each epoch, applied from the first step of the next", () => {
    marbles().run(({ cold, hot, expectObservable }) => {
      // epochs of 2 steps; validation metrics at frames 4 (epoch 1) and 8 (epoch 2), both not better → patience 0 reduces after the 2nd
      const steps = cold('-a-b--c-d--e-|', stepValues(5, (t) => Math.ceil(t / 2)));
      const validation = hot<Metric>('----x----y----', { x: metric(2, 1, 1), y: metric(4, 1, 2) });
      expectObservable(steps.pipe(reduceOnPlateau(validation, { every: 'epoch', patience: 0, factor: 0.1, initial: 1 }), lrOf)).toBe('-a-a--a-a--b-|', {
        a: 1,
        b: 0.1,
      });
    });
  });

  it('restores a saved state and reports every new state (plain JSON)', async () => {
    const saved: PlateauState[] = [];
    const first = await lastValueFrom(fedBack(3, [1, 1, 1], { patience: 0, factor: 0.5, onState: (s) => saved.push(s) }));
    expect(first).toEqual([1, 1, 0.5]);
    expect(saved[2]).toEqual({ value: 0.25, best: 1, numBadEpochs: 0, cooldownCounter: 0, count: 3 });
    // resume at step 4 with the state after metric 3
    const metrics = new Subject<Metric>();
    const resumed = await lastValueFrom(
      of(4, 5).pipe(
        map((t) => plainStep(t)),
        reduceOnPlateau(metrics, { patience: 0, factor: 0.5, state: JSON.parse(JSON.stringify(saved[2])) }),
        tap((s) => metrics.next(metric(s.step, 1))),
        lrOf,
        toArray(),
      ),
    );
    expect(resumed).toEqual([0.25, 0.125]);
  });
});

describe('reduceOnPlateau: determinism errors, lifetimes', () => {
  it('a step whose predecessor has no metric fails the run (nothing is silently reordered)', () => {
    marbles().run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const steps = cold('-a-b-|', stepValues(2));
      const late = hot<Metric>('----x', { x: metric(1, 1) });
      expectObservable(steps.pipe(reduceOnPlateau(late), lrOf)).toBe(
        '-a-#',
        { a: 1 },
        expect.objectContaining({ message: 'Expected `metrics` the metric of step 1 before step 2 (feed it back synchronously), got no metric yet' }),
      );
      expectSubscriptions(late.subscriptions).toBe('^--!');
    });
  });

  it('a metric of a step that has not run, a repeated metric, and a mid-epoch validation fail the run', () => {
    const cases: [Metric[], string, ('step' | 'epoch')?][] = [
      [[metric(1, 1), metric(2, 1)], 'Expected `metric.step` ≤ 1 (a step that has run), got 2'],
      [[metric(1, 1), metric(1, 1)], 'Expected `metric.step` 2 (one metric per step, in order), got 1'],
      [[metric(1, 1, 1)], 'Expected `metric.epoch` to arrive after the last step of epoch 1, got it before step 2 (epoch 1)', 'epoch'],
    ];
    for (const [sent, message, every] of cases) {
      const metrics = new Subject<Metric>();
      const errors: string[] = [];
      const steps = new Subject<Step<null>>();
      steps.pipe(reduceOnPlateau(metrics, { every })).subscribe({ error: (e) => errors.push(e.message) });
      steps.next(plainStep(1));
      sent.forEach((m) => metrics.next(m));
      steps.next(plainStep(2)); // epoch 1 still running
      expect(errors).toEqual([message]);
      expect([steps.observed, metrics.observed]).toEqual([false, false]);
    }
  });

  it('the metric stream error fails the run; early unsubscribe releases both streams', () => {
    marbles().run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const steps = cold('-a-b-|', stepValues(2));
      const broken = hot<Metric>('--#', undefined, new Error('validation crashed'));
      expectObservable(steps.pipe(reduceOnPlateau(broken), lrOf)).toBe('-a#', { a: 1 }, new Error('validation crashed'));
      expectSubscriptions(steps.subscriptions).toBe('^-!');
      const more = cold('-a-b-|', stepValues(2));
      const quiet = hot<Metric>('------');
      expectObservable(more.pipe(reduceOnPlateau(quiet), lrOf), '^-!').toBe('-a', { a: 1 });
      expectSubscriptions(more.subscriptions).toBe('^-!');
      expectSubscriptions(quiet.subscriptions).toBe('^-!');
    });
  });

  it('bad arguments and metrics name the field', () => {
    expect(() => reduceOnPlateau(0 as never)).toThrow('Expected `metrics` an Observable of { step, epoch, value }, got 0');
    expect(() => reduceOnPlateau(NEVER, { every: 'batch' as never })).toThrow('Expected `every` one of "step", "epoch", got "batch"');
    expect(() => reduceOnPlateau(NEVER, { factor: 2 })).toThrow('Expected `factor` in [0, 1), got 2');
    expect(() => reduceOnPlateau(NEVER, { state: { value: -1 } as never })).toThrow('Expected `state.value` ≥ 0, got -1');
    const metrics = new Subject<Metric>();
    const errors: string[] = [];
    const steps = new Subject<Step<null>>();
    steps.pipe(reduceOnPlateau(metrics)).subscribe({ error: (e) => errors.push(e.message) });
    steps.next(plainStep(1));
    metrics.next({ step: 1, epoch: 1, value: 'low' } as never);
    expect(errors).toEqual(['Expected `metric` a number, got "low"']);
  });

  it('no leak on complete, error, unsubscribe and take after a synchronous source', async () => {
    await expectNoLeak(async () => {
      const metrics = new Subject<Metric>();
      const feed = tap((s: Step<unknown>) => metrics.next(metric(s.step, 1)));
      const done = await lastValueFrom(of(1, 2, 3).pipe(map((t) => tinyStep(t)), reduceOnPlateau(metrics), feed, toArray()));
      done.forEach(disposeStep);
      // no feedback: step 2 fails and is freed; step 1 is freed by the subscriber
      await expect(lastValueFrom(of(1, 2).pipe(map((t) => tinyStep(t)), reduceOnPlateau(new Subject<Metric>()), map(disposeStep)))).rejects.toThrow(
        'the metric of step 1 before step 2',
      );
      const source = new Subject<number>();
      const sub = source.pipe(map((t) => tinyStep(t)), reduceOnPlateau(metrics)).subscribe(disposeStep);
      source.next(1);
      sub.unsubscribe();
      expect([source.observed, metrics.observed]).toEqual([false, false]);
      const kept = await lastValueFrom(of(1, 2, 3, 4).pipe(map((t) => tinyStep(t)), reduceOnPlateau(metrics), feed, take(2), toArray()));
      expect(kept.map((s) => s.step)).toEqual([1, 2]);
      kept.forEach(disposeStep);
    });
  });
});
